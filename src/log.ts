/**
 * JSON-lines logger on stderr (stdout is the MCP channel). Every record goes
 * through redaction of secret-looking keys and strings before it is written.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * `scrub` is applied to the whole record before writing; the server passes
 * the state layer's redactor plus the configured secrets as literal canaries.
 */
export function createLogger(options: {
  level: LogLevel;
  write?: (line: string) => void;
  scrub?: (record: Record<string, unknown>) => Record<string, unknown>;
}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const min = ORDER[options.level];
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    let record: Record<string, unknown> = { ts: new Date().toISOString(), level, msg, ...fields };
    if (options.scrub) record = options.scrub(record);
    let line: string;
    try {
      line = JSON.stringify(record, (_k, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code } : v,
      );
    } catch {
      line = JSON.stringify({ ts: record.ts, level, msg: String(msg) });
    }
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** A logger that drops everything (tests, pure code). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
