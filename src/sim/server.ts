/**
 * The simulator's HTTP front: reads each request whole, applies the fault
 * switches, authenticates private routes, rate-limits per UID, dispatches
 * to the market, order and account handlers, and logs every /v5 request.
 * Admin routes under /__sim/ need no auth and are never logged.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { Socket } from "node:net";
import { ACCOUNT_ROUTES } from "./account.js";
import { type SimKey, verifyRequest } from "./auth.js";
import type { Book } from "./book.js";
import { type Envelope, RetCodeError, errorEnvelope, okEnvelope } from "./envelope.js";
import { type FaultSwitches, validateFaultConfig } from "./faults.js";
import { MARKET_ROUTES } from "./market-data.js";
import { ORDER_ROUTES, type Params } from "./orders.js";
import { type RateLimiter, limitFor } from "./ratelimit.js";
import { type Category, type FaultName, type SimRequestLog, type SimSnapshot, isCategory } from "./types.js";

const MAX_BODY = 1024 * 1024;

type PrivateRoute = { method: "GET" | "POST"; handler: (p: Params, book: Book) => unknown };
const PRIVATE_ROUTES: Readonly<Record<string, PrivateRoute>> = { ...ORDER_ROUTES, ...ACCOUNT_ROUTES };

export interface ServerDeps {
  keys: ReadonlyMap<string, SimKey>;
  book: Book;
  faults: FaultSwitches;
  limiter: RateLimiter;
  /** Wall clock without skew (request log timestamps, rate-limit windows). */
  clock: () => number;
  /** Server clock with the skew fault applied. */
  serverNow: () => number;
  log: SimRequestLog[];
  snapshot: () => SimSnapshot;
  admin: {
    setMarkPrice: (category: Category, symbol: string, price: string) => void;
    setWalletBalance: (coin: string, amount: string) => void;
  };
}

/** What a processed request would answer. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  retCode?: number;
}

export interface SimServer {
  server: Server;
  close(): Promise<void>;
}

export function createSimServer(deps: ServerDeps): SimServer {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) send(res, { status: 500, headers: {}, body: String(err) });
      });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string | null): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? "" : url.slice(q + 1);
    const query = Object.fromEntries(new URLSearchParams(rawQuery));
    const method = req.method ?? "GET";
    if (raw === null) return send(res, { status: 413, headers: {}, body: "request body too large" });
    if (path.startsWith("/__sim/")) return send(res, admin(method, path, raw));

    const entry: SimRequestLog = { method, path, query, httpStatus: 0, ts: deps.clock() };
    if (method === "POST") entry.body = parseMaybe(raw);
    const key = req.headers["x-bapi-api-key"];
    if (typeof key === "string") entry.apiKey = key;
    deps.log.push(entry);

    const fault = path.startsWith("/v5/") ? deps.faults.take(path) : undefined;
    if (fault) entry.fault = fault;
    const latency = deps.faults.latency();
    if (latency > 0) await sleep(latency);
    if (closed) return;

    const early = earlyFault(fault, path, query, raw);
    if (early === "drop") {
      req.socket.destroy();
      return;
    }
    if (early === "hang") return; // never answered; close() destroys the socket
    if (early) return finish(res, entry, early);

    const answer = process_(method, path, rawQuery, query, raw, req);
    if (fault === "drop_after_process") {
      req.socket.destroy();
      return;
    }
    if (fault === "malformed_json") answer.body = answer.body.slice(0, Math.max(1, Math.floor(answer.body.length / 2)));
    finish(res, entry, answer);
  }

  function earlyFault(fault: FaultName | undefined, path: string, query: Record<string, string>, raw: string): Answer | "drop" | "hang" | undefined {
    const time = deps.serverNow();
    switch (fault) {
      case "http5xx":
        return { status: 503, headers: { "content-type": "text/html" }, body: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>" };
      case "ret10016":
        return json(errorEnvelope(10016, "Internal System Error.", time));
      case "ret10006": {
        const category = categoryFrom(query, raw);
        const reset = Math.floor(deps.clock() / 1000) * 1000 + 1000;
        return json(errorEnvelope(10006, "Too many visits!", time), {
          "X-Bapi-Limit": String(limitFor(path, category)),
          "X-Bapi-Limit-Status": "0",
          "X-Bapi-Limit-Reset-Timestamp": String(reset),
        });
      }
      case "drop_before_process":
        return "drop";
      case "hang":
        return "hang";
      default:
        return undefined;
    }
  }

  function process_(method: string, path: string, rawQuery: string, query: Record<string, string>, raw: string, req: IncomingMessage): Answer {
    const time = deps.serverNow();
    const market = MARKET_ROUTES[path];
    if (market && method === "GET") {
      return envelopeOf(() => market(query, { prices: deps.book.prices, now: deps.serverNow }), time);
    }
    const route = PRIVATE_ROUTES[path];
    if (!route || route.method !== method) return { status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found" };
    const auth = verifyRequest({ headers: req.headers, payload: method === "GET" ? rawQuery : raw, keys: deps.keys, serverTime: time });
    if (!auth.ok) return json(errorEnvelope(auth.retCode, auth.retMsg, time));
    let params: Params;
    if (method === "GET") params = query;
    else {
      const parsed = parseMaybe(raw);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return json(errorEnvelope(10001, "Request parameter error.", time));
      }
      params = parsed as Params;
    }
    const verdict = deps.limiter.hit(auth.key.uid, path, isCategory(params.category) ? params.category : undefined, deps.clock());
    if (!verdict.allowed) return json(errorEnvelope(10006, "Too many visits!", time), verdict.headers);
    const answer = envelopeOf(() => route.handler(params, deps.book), time, verdict.headers);
    if (method === "POST" && answer.retCode === 0) deps.book.persist();
    return answer;
  }

  function admin(method: string, path: string, raw: string): Answer {
    try {
      if (method === "GET" && path === "/__sim/state") return json(deps.snapshot());
      if (method === "GET" && path === "/__sim/requests") return json(deps.log);
      if (method === "GET" && path === "/__sim/faults") return json(deps.faults.get());
      if (method === "POST" && path === "/__sim/faults") {
        deps.faults.set(validateFaultConfig(JSON.parse(raw || "{}")));
        return json(deps.faults.get());
      }
      if ((method === "DELETE" && path === "/__sim/faults") || (method === "POST" && path === "/__sim/faults/clear")) {
        deps.faults.clear();
        return json(deps.faults.get());
      }
      if (method === "POST" && path === "/__sim/mark") {
        const b = JSON.parse(raw) as { category: Category; symbol: string; price: string };
        deps.admin.setMarkPrice(b.category, b.symbol, b.price);
        return json({ ok: true });
      }
      if (method === "POST" && path === "/__sim/wallet") {
        const b = JSON.parse(raw) as { coin: string; amount: string };
        deps.admin.setWalletBalance(b.coin, b.amount);
        return json({ ok: true });
      }
      if (method === "POST" && path === "/__sim/requests/clear") {
        deps.log.length = 0;
        return json({ ok: true });
      }
    } catch (err) {
      return json({ error: err instanceof Error ? err.message : String(err) }, {}, 400);
    }
    return { status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found" };
  }

  function finish(res: ServerResponse, entry: SimRequestLog, answer: Answer): void {
    entry.httpStatus = answer.status;
    if (answer.retCode !== undefined) entry.retCode = answer.retCode;
    send(res, answer);
  }

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}

function envelopeOf(run: () => unknown, time: number, headers: Record<string, string> = {}): Answer {
  let env: Envelope;
  try {
    env = okEnvelope(run(), time);
  } catch (err) {
    if (err instanceof RetCodeError) env = errorEnvelope(err.retCode, err.retMsg, time);
    else {
      // A simulator bug: answer as Bybit's own failures do, and say so on stderr.
      console.error(`bybit-mcp sim: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      env = errorEnvelope(10016, "Internal System Error.", time);
    }
  }
  return json(env, headers);
}

function json(value: unknown, headers: Record<string, string> = {}, status = 200): Answer {
  const retCode = typeof value === "object" && value !== null && "retCode" in value ? (value as Envelope).retCode : undefined;
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value), retCode };
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  // Every answer says what it is, so a client can never mistake the simulator for an exchange with real money (or the reverse).
  res.writeHead(answer.status, { ...answer.headers, [SIMULATOR_HEADER]: "1", "content-length": Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

function parseMaybe(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function categoryFrom(query: Record<string, string>, raw: string): Category | undefined {
  if (isCategory(query.category)) return query.category;
  const body = parseMaybe(raw) as { category?: unknown } | undefined;
  return typeof body === "object" && body !== null && isCategory(body.category) ? body.category : undefined;
}

/** The whole body as UTF-8, or null when it is larger than MAX_BODY. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooBig ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The header every simulator answer carries (src/bybit/client.ts reads it). */
export const SIMULATOR_HEADER = "x-bybit-mcp-simulator";
