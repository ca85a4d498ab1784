/**
 * The one module that reads process.env: it turns the environment into a
 * frozen Config, validated once at start. A bad value throws ConfigError
 * naming the variable; the CLI prints that one line and exits 2.
 */
import { randomUUID } from "node:crypto";
import { ConfigError } from "./errors.js";
import type { LogLevel } from "./log.js";
import { normalizeBrokerKey, resolveRuntimeRoot } from "./state/paths.js";
import { defaultRulesDir } from "./util/package-root.js";

export const BASE_URLS = {
  mainnet: "https://api.bybit.com",
  testnet: "https://api-testnet.bybit.com",
  demo: "https://api-demo.bybit.com",
} as const;

export interface Config {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly baseUrl: string;
  readonly network: "mainnet" | "testnet" | "demo" | "custom";
  readonly httpTimeoutMs: number;
  readonly recvWindow: number;
  /** Normalized broker key, or null when BYBIT_BROKER_KEY is invalid (every write then fails closed). */
  readonly brokerKey: string | null;
  readonly brokerKeyRaw: string;
  readonly runtimeRoot: string;
  readonly sessionId: string;
  readonly rulesDir: string;
  readonly logLevel: LogLevel;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly httpToken: string;
  /** Where `bybit-mcp console` serves (BYBIT_MCP_CONSOLE_URL): URL-mode elicitation points the user at its approval page. */
  readonly consoleUrl: string;
  /** How long an approval request stays open (BYBIT_MCP_APPROVAL_TTL, seconds; default 600). */
  readonly approvalTtlMs: number;
  /** Test hook (BYBIT_MCP_CRASH_AT): kill the process at that point of the write path. Never set it for real use. */
  readonly crashAt: "journal" | "answer" | "record" | null;
  /** BYBIT_MCP_STATE: null for the runtime root's files (the default), or a postgres:// URL for the shared state. */
  readonly stateUrl: string | null;
}

/** The configured secrets, scrubbed from every log line, ledger record and tool result. */
export function configSecrets(config: Pick<Config, "apiKey" | "apiSecret" | "httpToken"> & { stateUrl?: string | null }): string[] {
  // Very short values would scrub ordinary text and protect nothing.
  return [config.apiKey, config.apiSecret, config.httpToken, ...stateUrlPassword(config.stateUrl ?? null)].filter((s) => s.length >= 4);
}

/** The password in a postgres:// URL, as written and decoded: neither may ever be shown. */
function stateUrlPassword(url: string | null): string[] {
  if (url === null) return [];
  try {
    const p = new URL(url).password;
    return p === "" ? [] : [...new Set([p, decodeURIComponent(p)])];
  } catch {
    return [];
  }
}

/** The state URL without its password, for messages. */
export function safeStateUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable)";
  }
}

/** Build and freeze the configuration from an environment. Throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const testnet = bool(env, "BYBIT_TESTNET");
  const demo = bool(env, "BYBIT_DEMO");
  if (testnet && demo) throw new ConfigError("BYBIT_TESTNET and BYBIT_DEMO cannot both be true", "BYBIT_DEMO");
  const explicit = str(env, "BYBIT_BASE_URL");
  let baseUrl: string;
  let network: Config["network"];
  if (explicit) {
    baseUrl = httpUrl(explicit, "BYBIT_BASE_URL");
    network = "custom";
  } else {
    network = testnet ? "testnet" : demo ? "demo" : "mainnet";
    baseUrl = BASE_URLS[network];
  }
  const apiKey = str(env, "BYBIT_API_KEY");
  const apiSecret = str(env, "BYBIT_API_SECRET");
  if ((apiKey === "") !== (apiSecret === "")) {
    throw new ConfigError(
      apiKey ? "BYBIT_API_SECRET is empty while BYBIT_API_KEY is set" : "BYBIT_API_KEY is empty while BYBIT_API_SECRET is set",
      apiKey ? "BYBIT_API_SECRET" : "BYBIT_API_KEY",
    );
  }
  const brokerKeyRaw = env.BYBIT_BROKER_KEY ?? "bybit";
  const logLevel = (str(env, "BYBIT_MCP_LOG_LEVEL") || "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError(`BYBIT_MCP_LOG_LEVEL must be debug, info, warn or error, not "${logLevel}"`, "BYBIT_MCP_LOG_LEVEL");
  }
  return Object.freeze({
    apiKey,
    apiSecret,
    baseUrl,
    network,
    httpTimeoutMs: Math.round(number(env, "BYBIT_HTTP_TIMEOUT", 10, { min: 0.1, max: 300 }) * 1000),
    recvWindow: integer(env, "BYBIT_RECV_WINDOW", 5000, { min: 1, max: 60_000 }),
    brokerKey: normalizeBrokerKey(brokerKeyRaw),
    brokerKeyRaw,
    runtimeRoot: resolveRuntimeRoot(env),
    sessionId: str(env, "BYBIT_MCP_SESSION_ID") || `s_${randomUUID().replaceAll("-", "")}`,
    rulesDir: str(env, "BYBIT_MCP_RULES") || defaultRulesDir(),
    logLevel: logLevel as LogLevel,
    httpHost: str(env, "BYBIT_MCP_HOST") || "127.0.0.1",
    httpPort: integer(env, "BYBIT_MCP_PORT", 8001, { min: 1, max: 65_535 }),
    httpToken: str(env, "BYBIT_MCP_HTTP_TOKEN"),
    consoleUrl: str(env, "BYBIT_MCP_CONSOLE_URL") ? httpUrl(str(env, "BYBIT_MCP_CONSOLE_URL"), "BYBIT_MCP_CONSOLE_URL") : "http://127.0.0.1:8003",
    // A day at most: an approval is for one order the user is looking at now, not a standing waiver.
    approvalTtlMs: integer(env, "BYBIT_MCP_APPROVAL_TTL", 600, { min: 1, max: 86_400 }) * 1000,
    crashAt: crashPoint(env),
    stateUrl: stateUrl(env),
  });
}

function stateUrl(env: NodeJS.ProcessEnv): string | null {
  const v = str(env, "BYBIT_MCP_STATE");
  if (v === "" || v === "files") return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError('BYBIT_MCP_STATE must be "files" or a postgres://user@host:port/db URL', "BYBIT_MCP_STATE");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new ConfigError(`BYBIT_MCP_STATE must be "files" or a postgres:// URL, not a ${u.protocol} URL`, "BYBIT_MCP_STATE");
  }
  return v;
}

function crashPoint(env: NodeJS.ProcessEnv): Config["crashAt"] {
  const v = str(env, "BYBIT_MCP_CRASH_AT");
  if (v === "") return null;
  if (v === "journal" || v === "answer" || v === "record") return v;
  throw new ConfigError(`BYBIT_MCP_CRASH_AT must be journal, answer or record, not "${v}"`, "BYBIT_MCP_CRASH_AT");
}

function str(env: NodeJS.ProcessEnv, name: string): string {
  return (env[name] ?? "").trim();
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = str(env, name).toLowerCase();
  if (v === "" || v === "false" || v === "0" || v === "no") return false;
  if (v === "true" || v === "1" || v === "yes") return true;
  throw new ConfigError(`${name} must be true or false, not "${str(env, name)}"`, name);
}

function number(env: NodeJS.ProcessEnv, name: string, dflt: number, range: { min: number; max: number }): number {
  const v = str(env, name);
  if (v === "") return dflt;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n < range.min || n > range.max) {
    throw new ConfigError(`${name} must be a number from ${range.min} to ${range.max}, not "${v}"`, name);
  }
  return n;
}

function integer(env: NodeJS.ProcessEnv, name: string, dflt: number, range: { min: number; max: number }): number {
  const v = str(env, name);
  if (v === "") return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < range.min || n > range.max) {
    throw new ConfigError(`${name} must be a whole number from ${range.min} to ${range.max}, not "${v}"`, name);
  }
  return n;
}

/** Validate an http(s) URL for a CLI option or variable and strip a trailing slash. */
export function httpUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, not "${value}"`, name);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name} must be an http(s) URL, not "${value}"`, name);
  }
  if (url.username || url.password) throw new ConfigError(`${name} must not carry credentials`, name);
  if (url.pathname !== "/" || url.search || url.hash) {
    throw new ConfigError(`${name} must be a bare origin like https://api.bybit.com (no path or query), not "${value}"`, name);
  }
  return url.origin;
}
