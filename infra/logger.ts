import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino, type Logger } from 'pino';

/** Structured JSON logs, one object per line. Never log request bodies or person fields: log ids. */
export function createLogger(level: string, name = 'admissions'): Logger {
  return pino({ name, level });
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger (workflow, activity and core messages) writing to pino as JSON. Its metadata
 * holds ids, types and task queues; workflow and activity arguments are never logged by the SDK.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    // pino serializes an Error only under `err`: the SDK puts failures under `error`.
    const { error, ...rest } = (meta ?? {}) as LogMetadata & { error?: unknown };
    const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : error;
    logger[LEVELS[level] ?? 'info']({ ...rest, ...(err !== undefined ? { err } : {}), sdk: true }, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
