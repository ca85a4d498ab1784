/**
 * The simulator's own check of Bybit v5 request signatures, written apart
 * from the client's signer (src/bybit/) so a bug in one cannot hide in the
 * other. Sign string = timestamp + apiKey + recvWindow + payload, where the
 * payload is the raw query string of a GET exactly as it appears in the URL,
 * or the raw body bytes of a POST.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SimKey {
  key: string;
  secret: string;
  uid: string;
}

/** HMAC-SHA256 of the v5 sign string, lowercase hex. */
export function hmacSign(secret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return createHmac("sha256", secret).update(`${timestamp}${apiKey}${recvWindow}${payload}`, "utf8").digest("hex");
}

export type AuthResult = { ok: true; key: SimKey } | { ok: false; retCode: number; retMsg: string };

export interface AuthInput {
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** Raw query string (GET) or raw body (POST). */
  payload: string;
  keys: ReadonlyMap<string, SimKey>;
  /** Server clock (ms), skew included. */
  serverTime: number;
}

const DEFAULT_RECV_WINDOW = 5000;

function header(headers: AuthInput["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Verifies key, recv window and signature, in Bybit's order: an unknown or
 * missing key is 10003, a timestamp outside
 * `serverTime - recvWindow <= ts < serverTime + 1000` is 10002, a missing or
 * wrong signature is 10004 ("error sign! ..."). Never throws.
 */
export function verifyRequest(input: AuthInput): AuthResult {
  const apiKey = header(input.headers, "x-bapi-api-key");
  const timestamp = header(input.headers, "x-bapi-timestamp");
  const sign = header(input.headers, "x-bapi-sign");
  const recvHeader = header(input.headers, "x-bapi-recv-window");

  if (!apiKey) return { ok: false, retCode: 10003, retMsg: "API key is invalid." };
  const key = input.keys.get(apiKey);
  if (!key) return { ok: false, retCode: 10003, retMsg: "API key is invalid." };

  const recvWindowText = recvHeader ?? String(DEFAULT_RECV_WINDOW);
  if (!/^\d{1,9}$/.test(recvWindowText)) {
    return { ok: false, retCode: 10001, retMsg: "params error: recv_window invalid" };
  }
  const recvWindow = Number(recvWindowText);

  if (!timestamp || !/^\d{1,16}$/.test(timestamp)) {
    return { ok: false, retCode: 10002, retMsg: windowMessage(timestamp ?? "", input.serverTime, recvWindow) };
  }
  const ts = Number(timestamp);
  if (!(input.serverTime - recvWindow <= ts && ts < input.serverTime + 1000)) {
    return { ok: false, retCode: 10002, retMsg: windowMessage(timestamp, input.serverTime, recvWindow) };
  }

  // With no recv-window header, accept a sign string with "" or the default "5000" in its place.
  const candidates = recvHeader === undefined ? ["", String(DEFAULT_RECV_WINDOW)] : [recvHeader];
  const given = (sign ?? "").toLowerCase();
  const match = candidates.some((rw) => safeEqualHex(given, hmacSign(key.secret, timestamp, apiKey, rw, input.payload)));
  if (!match) {
    const origin = `${timestamp}${apiKey}${candidates[candidates.length - 1]}${input.payload}`;
    return { ok: false, retCode: 10004, retMsg: `error sign! origin_string[${origin}]` };
  }
  return { ok: true, key };
}

function windowMessage(ts: string, serverTime: number, recvWindow: number): string {
  return (
    "invalid request, please check your server timestamp or recv_window param. " +
    `req_timestamp[${ts}],server_timestamp[${serverTime}],recv_window[${recvWindow}]`
  );
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
