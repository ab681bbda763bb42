/**
 * Log lines of the standalone processes: `2025-01-31T12:00:00.000Z INFO  TaskManager - message`,
 * to stdout (the cluster scripts send each process's stdout to its log file). The level is
 * weir.log.level.
 */
import type { Logger } from '../../runtime/rpc/transport.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function createLogger(
  component: string,
  level: string = 'info',
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const min = Math.max(0, LEVELS.indexOf(level as LogLevel));
  const at =
    (lvl: LogLevel) =>
    (msg: string): void => {
      if (LEVELS.indexOf(lvl) < min) return;
      write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} ${component} - ${msg}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
