/**
 * The crash report Redis writes when it dies of a signal (SIGABRT sent to
 * it, or DEBUG SEGFAULT): the bug-report banners, the signal, the stack
 * where it happened and the client being served, then the process ends by
 * that same signal, so supervisors and core-dump settings see what Redis
 * would give them. `crash-log-enabled no` leaves only the signal.
 */
import { REDIS_VERSION, SERVER_NAME, SERVER_VERSION } from '../version.js';
import type { Logger } from './logger.js';

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGABRT: 6, SIGSEGV: 11 };

export interface CrashContext {
  readonly logger: Logger;
  readonly crashLogEnabled: boolean;
  /** The client whose command was running, as CLIENT LIST shows it, and that command. */
  readonly currentClient?: { describe: string; argv: readonly string[] };
}

export function crash(context: CrashContext, signal: NodeJS.Signals, stack: string): never {
  const { logger } = context;
  if (context.crashLogEnabled) {
    logger.raw('\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n');
    logger.log('warning', `${SERVER_NAME} ${SERVER_VERSION} (Redis ${REDIS_VERSION} compatible) crashed by signal: ${SIGNAL_NUMBERS[signal] ?? 0}, si_code: 0`);
    logger.raw(`\n------ STACK TRACE ------\n${stack}\n`);
    if (context.currentClient) {
      const { describe, argv } = context.currentClient;
      logger.raw(`\n------ CURRENT CLIENT INFO ------\n${describe}\n${argv.map((a, i) => `argv[${i}]: '${a}'`).join('\n')}\n`);
    }
    logger.raw('\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n');
  }
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // The signal is delivered at once; should it be caught after all, the process still ends.
  process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
}
