import { pino, type Logger } from 'pino';

/** Structured JSON logs. Never log request bodies or person fields: log ids. */
export function createLogger(level: string, name = 'admissions'): Logger {
  return pino({ name, level });
}
