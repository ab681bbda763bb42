/**
 * Constants of the RPC protocol, apart from the message declarations (messages.ts) so that the
 * transport and the BlobServer can use them without loading the schemas.
 */
export const PROTOCOL_VERSION = 1;

/** Largest part of a blob one fetchBlob request is answered with. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;
