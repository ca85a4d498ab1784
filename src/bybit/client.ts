/**
 * Bybit v5 REST client on undici: one keep-alive pool per base URL.
 *
 * - Signs exactly the bytes it sends (the query string built once, the body
 *   serialised once) with the pure signer.
 * - Keeps a clock offset from /v5/market/time; on retCode 10002 it re-syncs
 *   and retries once (the exchange refused the request, so even a write is
 *   safe to send again).
 * - Reads retry with jittered backoff, at most 3 tries within one
 *   BYBIT_HTTP_TIMEOUT budget, on network errors, HTTP 5xx/429/403, 10006
 *   (waiting for X-Bapi-Limit-Reset-Timestamp) and 10016.
 * - A write is never retried once its request may have reached the exchange:
 *   the caller gets a NetworkError/TimeoutError with maybeSent and looks the
 *   order up by orderLinkId instead.
 * - No error carries the key, the secret or request headers.
 */
import { setFlagsFromString } from "node:v8";
import type { Pool as PoolType } from "undici";
import Pool from "undici/lib/dispatcher/pool.js";
import undiciErrors from "undici/lib/core/errors.js";
import poolRequest from "undici/lib/api/api-request.js";
import {
  BadResponseError,
  BybitApiError,
  HttpStatusError,
  NetworkError,
  NoCredentialsError,
  TimeoutError,
} from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type { Config } from "../config.js";
import { stripOriginString } from "../state/redact.js";
import { buildQuery, sign } from "./signer.js";
import type { Envelope, RateLimitInfo } from "./types.js";

export interface BybitClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  recvWindow: number;
  timeoutMs: number;
  logger?: Logger;
  /** First backoff step for read retries (ms); jittered and doubled per try. */
  retryBaseMs?: number;
  maxTries?: number;
}

export interface BybitResponse<T> {
  result: T;
  time: number;
  retExtInfo: unknown;
  rateLimit?: RateLimitInfo;
}

interface Attempt {
  method: "GET" | "POST";
  path: string;
  query: string;
  body: string | undefined;
  auth: boolean;
  deadline: number;
  /** Writes only: the last check before the wire (see post). */
  beforeSend?: () => void;
}

// undici parses HTTP with llhttp compiled to WebAssembly, on the first request. V8's optimizing
// tier compiles it with a ~35 MB transient peak, right after initialize (measured: peak RSS 109
// MB vs 76 MB). The baseline tier (Liftoff) compiles it in a fraction of that, and Bybit's
// answers are a few KB each. Wasm flags are read at compile time, so setting one here, before
// the first Pool, takes effect; this process runs no other WebAssembly.
setFlagsFromString("--liftoff-only");

const RETRY_HTTP = new Set([403, 429, 500, 502, 503, 504]);
const CONNECT_FAILURES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/** The client for a validated config: its base URL, keys, recv window and timeout. */
export function clientFor(config: Config, logger?: Logger): BybitClient {
  return new BybitClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    recvWindow: config.recvWindow,
    timeoutMs: config.httpTimeoutMs,
    logger,
  });
}

export class BybitClient {
  private readonly pool: PoolType;
  private readonly logger: Logger;
  private offsetMs = 0;
  private simulator = false;
  private clockSynced: Promise<void> | undefined;

  constructor(private readonly opts: BybitClientOptions) {
    this.pool = new Pool(opts.baseUrl, { connections: 16, keepAliveTimeout: 30_000, pipelining: 1 });
    this.logger = opts.logger ?? silentLogger;
  }

  get hasCredentials(): boolean {
    return this.opts.apiKey !== "" && this.opts.apiSecret !== "";
  }

  /** True once an answer came from bybit-mcp's simulator (it marks each one). */
  get answeredAsSimulator(): boolean {
    return this.simulator;
  }

  /** Estimated (server clock - local clock) in ms. */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /** Measure the clock offset from /v5/market/time (midpoint of the round trip). */
  async syncClock(): Promise<void> {
    const t0 = Date.now();
    const res = await this.get<{ timeSecond: string; timeNano: string }>("/v5/market/time");
    const t1 = Date.now();
    const server = Number(res.result.timeNano) / 1e6 || res.time;
    this.offsetMs = Math.round(server - (t0 + t1) / 2);
    this.clockSynced ??= Promise.resolve();
    this.logger.debug("clock synced", { offsetMs: this.offsetMs });
  }

  /** Start the first clock sync in the background; private calls wait for it. */
  startClockSync(): void {
    this.clockSynced ??= this.syncClock().catch((err: unknown) => {
      this.clockSynced = undefined;
      this.logger.warn("clock sync failed", { error: err });
    });
  }

  /** A GET; `auth` signs it (private endpoints). Reads retry per the class comment. */
  async get<T>(path: string, params?: Record<string, unknown>, auth = false): Promise<BybitResponse<T>> {
    const query = buildQuery(params);
    return this.run<T>({ method: "GET", path, query, body: undefined, auth, deadline: Date.now() + this.opts.timeoutMs }, true);
  }

  /**
   * A signed POST (a write). Never retried once it may have been sent.
   * `beforeSend` runs synchronously right before the request is handed to
   * the socket, after every wait (clock sync, signing); if it throws, the
   * request is not sent and its error is thrown as is.
   */
  async post<T>(path: string, body: Record<string, unknown>, opts: { beforeSend?: () => void } = {}): Promise<BybitResponse<T>> {
    const raw = JSON.stringify(body);
    return this.run<T>({ method: "POST", path, query: "", body: raw, auth: true, deadline: Date.now() + this.opts.timeoutMs, beforeSend: opts.beforeSend }, false);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async run<T>(attempt: Attempt, retryable: boolean): Promise<BybitResponse<T>> {
    if (attempt.auth) {
      if (!this.hasCredentials) throw new NoCredentialsError(attempt.path);
      this.startClockSync();
      await this.clockSynced;
    }
    const maxTries = retryable ? (this.opts.maxTries ?? 3) : 1;
    let resynced = false;
    for (let tryNo = 1; ; tryNo++) {
      let waitMs = this.backoff(tryNo);
      try {
        return await this.once<T>(attempt);
      } catch (err) {
        if (err instanceof BybitApiError && err.retCode === 10002 && attempt.auth && !resynced) {
          // Timestamp refused: the exchange did not act on it. Re-sync and send once more.
          resynced = true;
          this.logger.warn("timestamp outside recv window; re-syncing clock", { endpoint: attempt.path });
          await this.syncClock();
          tryNo--;
          continue;
        }
        if (!retryable || tryNo >= maxTries || !isRetryable(err)) throw err;
        if (err instanceof BybitApiError && err.retCode === 10006 && err.resetAtMs) {
          waitMs = Math.max(waitMs, err.resetAtMs - (Date.now() + this.offsetMs));
        }
        if (Date.now() + waitMs >= attempt.deadline) throw err;
        this.logger.info("retrying read", { endpoint: attempt.path, try: tryNo + 1, waitMs, error: err });
        await sleep(waitMs);
      }
    }
  }

  private backoff(tryNo: number): number {
    const base = this.opts.retryBaseMs ?? 200;
    return Math.round(base * 2 ** (tryNo - 1) * (0.5 + Math.random()));
  }

  private async once<T>(a: Attempt): Promise<BybitResponse<T>> {
    const remaining = a.deadline - Date.now();
    if (remaining <= 0) throw new TimeoutError(a.path, this.opts.timeoutMs);
    const headers: Record<string, string> = {};
    if (a.body !== undefined) headers["content-type"] = "application/json";
    if (a.auth) {
      const timestamp = Date.now() + this.offsetMs;
      const payload = a.method === "GET" ? a.query : (a.body ?? "");
      headers["x-bapi-api-key"] = this.opts.apiKey;
      headers["x-bapi-timestamp"] = String(timestamp);
      headers["x-bapi-recv-window"] = String(this.opts.recvWindow);
      headers["x-bapi-sign-type"] = "2";
      headers["x-bapi-sign"] = sign({
        timestamp,
        apiKey: this.opts.apiKey,
        recvWindow: this.opts.recvWindow,
        payload,
        secret: this.opts.apiSecret,
      });
    }
    a.beforeSend?.();
    // Nothing waits between the last check and the request. One timer per request, cleared when
    // the answer is in: AbortSignal.timeout's timer stays alive, with a WeakRef and a closure,
    // until it fires, so hundreds of requests a second kept thousands of them (a heap
    // snapshot's largest growth across 2,700 reads).
    const timeout = new AbortController();
    // Unref'd, as AbortSignal.timeout's is: a request alone never holds the process open.
    const timer = setTimeout(() => timeout.abort(new DOMException("request timed out", "TimeoutError")), remaining).unref();
    const signal = timeout.signal;
    let statusCode: number;
    let text: string;
    let resHeaders: Record<string, string | string[] | undefined>;
    try {
      const res = await poolRequest.call(this.pool, {
        method: a.method,
        path: a.query ? `${a.path}?${a.query}` : a.path,
        headers,
        body: a.body,
        signal,
        headersTimeout: remaining,
        bodyTimeout: remaining,
      });
      statusCode = res.statusCode;
      resHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw classifyNetworkError(err, a.path, this.opts.timeoutMs, signal.aborted);
    } finally {
      clearTimeout(timer);
    }
    const rateLimit = readRateLimit(resHeaders);
    // bybit-mcp's simulator marks every answer (src/sim/server.ts); Bybit never does.
    if (resHeaders["x-bybit-mcp-simulator"] === "1") this.simulator = true;
    if (statusCode !== 200) {
      throw new HttpStatusError(statusCode, a.path, text.slice(0, 120).replace(/\s+/g, " "));
    }
    let env: Envelope<T>;
    try {
      env = JSON.parse(text) as Envelope<T>;
    } catch {
      throw new BadResponseError(a.path, "malformed JSON");
    }
    if (typeof env !== "object" || env === null || typeof env.retCode !== "number") {
      throw new BadResponseError(a.path, "no retCode");
    }
    if (env.retCode !== 0) {
      // 10004 echoes the signed string (API key included): keep the message, drop the echo.
      const retMsg = stripOriginString(String(env.retMsg ?? ""));
      const err = new BybitApiError(env.retCode, retMsg, a.path);
      if (rateLimit?.resetAtMs) err.resetAtMs = rateLimit.resetAtMs;
      throw err;
    }
    return { result: env.result as T, time: Number(env.time), retExtInfo: env.retExtInfo, rateLimit };
  }
}

function classifyNetworkError(err: unknown, endpoint: string, timeoutMs: number, aborted: boolean): Error {
  if (
    aborted ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    (err instanceof Error && err.name === "TimeoutError")
  ) {
    return new TimeoutError(endpoint, timeoutMs);
  }
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  const notSent = code !== undefined && CONNECT_FAILURES.has(code);
  return new NetworkError(endpoint, !notSent, err instanceof Error ? { name: err.name, message: err.message, code } : undefined);
}

function isRetryable(err: unknown): boolean {
  if (err instanceof NetworkError || err instanceof TimeoutError || err instanceof BadResponseError) return true;
  if (err instanceof HttpStatusError) return RETRY_HTTP.has(err.httpStatus);
  if (err instanceof BybitApiError) return err.retCode === 10000 || err.retCode === 10006 || err.retCode === 10016;
  return false;
}

function readRateLimit(h: Record<string, string | string[] | undefined>): RateLimitInfo | undefined {
  const limit = h["x-bapi-limit"];
  if (limit === undefined) return undefined;
  return {
    limit: Number(limit),
    remaining: Number(h["x-bapi-limit-status"]),
    resetAtMs: Number(h["x-bapi-limit-reset-timestamp"]),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
