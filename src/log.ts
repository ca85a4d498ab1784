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
    // Errors become plain data first: their message is not an own enumerable field, so
    // a scrubber that copies fields (redact) would otherwise log them as {}.
    let record = plain({ ts: new Date().toISOString(), level, msg, ...fields }) as Record<string, unknown>;
    if (options.scrub) record = options.scrub(record);
    let line: string;
    try {
      line = JSON.stringify(record);
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

function plain(v: unknown, depth = 0): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
  if (depth > 4 || v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x, depth + 1)]));
}

/** A logger that drops everything (tests, pure code). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
