/**
 * Test helpers for the simulator: an independent v5 signer (node:crypto,
 * not src/sim/auth.ts) and a tiny HTTP client on node:http so tests see
 * exactly what went over the socket, including a connection closed with
 * no answer.
 */
import { createHmac } from "node:crypto";
import { request } from "node:http";
import type { Sim } from "../../src/sim/index.js";

export function sign(secret: string, ts: string, key: string, recvWindow: string, payload: string): string {
  return createHmac("sha256", secret).update(ts + key + recvWindow + payload).digest("hex");
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
  ms: number;
}

export interface CallOptions {
  query?: string;
  body?: unknown;
  /** false = no auth headers at all. */
  auth?: false | { key?: string; secret?: string; timestamp?: number; recvWindow?: string };
  timeoutMs?: number;
}

/** One HTTP request to the simulator; rejects when the socket closes without an answer. */
export function call(sim: Sim, method: "GET" | "POST", path: string, opts: CallOptions = {}): Promise<Reply> {
  const rawBody = opts.body === undefined ? "" : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  const url = new URL(sim.url + path + (opts.query ? `?${opts.query}` : ""));
  const headers: Record<string, string> = {};
  if (method === "POST") headers["content-type"] = "application/json";
  if (opts.auth !== false && !path.startsWith("/v5/market") && !path.startsWith("/__sim")) {
    const a = opts.auth ?? {};
    const key = a.key ?? sim.apiKey;
    const ts = String(a.timestamp ?? Date.now());
    const rw = a.recvWindow ?? "5000";
    headers["X-BAPI-API-KEY"] = key;
    headers["X-BAPI-TIMESTAMP"] = ts;
    headers["X-BAPI-RECV-WINDOW"] = rw;
    headers["X-BAPI-SIGN-TYPE"] = "2";
    headers["X-BAPI-SIGN"] = sign(a.secret ?? sim.apiSecret, ts, key, rw, method === "GET" ? (opts.query ?? "") : rawBody);
  }
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: Date.now() - started });
      });
    });
    req.on("error", reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error("client timeout")));
    req.end(rawBody);
  });
}

export const get = (sim: Sim, path: string, query = "", auth?: CallOptions["auth"]) => call(sim, "GET", path, { query, auth });
export const post = (sim: Sim, path: string, body: unknown, auth?: CallOptions["auth"]) => call(sim, "POST", path, { body, auth });

/** A linear BTCUSDT order body with overrides. */
export function order(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.01", ...over };
}
