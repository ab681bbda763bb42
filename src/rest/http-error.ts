/** A REST request that cannot be served: the status and message its `{errors: [...]}` answer carries. */
import type { ErrorCode } from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
  }
}

export const jobNotFound = (jobId: string): HttpError => new HttpError(404, `Job ${jobId} not found`);
