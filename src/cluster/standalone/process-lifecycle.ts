/**
 * What the JobManager and TaskManager processes share about their lifecycle: refusing to listen
 * beyond loopback without a cluster secret, and the graceful shutdown on SIGTERM/SIGINT with a
 * deadline.
 */
import { WeirError } from '../../errors.js';
import { isLoopback, type Logger } from '../../runtime/rpc/transport.js';

/** Refuses to listen beyond loopback without a cluster secret. */
export function requireSecretForBind(host: string, secret: string, key: string): void {
  if (!isLoopback(host) && !secret) {
    throw new WeirError(
      'WEIR_CONFIG_BAD_VALUE',
      `${key} is '${host}', which is not a loopback address: set security.cluster.secret (the same value on the JobManager and every TaskManager) so that only members of the cluster can connect`,
    );
  }
}

/** How long a graceful shutdown may take before the process ends anyway. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Exits with `code` once `closing` settles, or after SHUTDOWN_DEADLINE_MS whatever it does. With
 * `workerThreads` (a TaskManager) the forced exit is a SIGKILL of the process itself:
 * process.exit() waits for every worker thread to end, and a slot thread stuck in native code (a
 * file system call that never returns) never does.
 */
export function exitAfter(closing: Promise<void>, code: number, log: Logger, workerThreads: boolean): void {
  const force = setTimeout(() => {
    log.error(
      `shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s${workerThreads ? ' (a task thread does not stop)' : ''}: exiting`,
    );
    if (workerThreads) process.kill(process.pid, 'SIGKILL');
    else process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  force.unref();
  closing.then(
    () => process.exit(code),
    (e: unknown) => {
      log.error(`shutdown failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}

/** SIGTERM/SIGINT: graceful shutdown, then exit (forced after 15 s; see exitAfter). */
export function installSignalHandlers(close: (reason: string) => Promise<void>, log: Logger, workerThreads = false): void {
  const onSignal = (sig: NodeJS.Signals): void => exitAfter(close(`received ${sig}`), 0, log, workerThreads);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
