/**
 * Bybit v5 request signing, pure: the string signed is
 * timestamp + apiKey + recvWindow + payload, where payload is the exact
 * query string (GET) or the exact JSON body (POST) that goes on the wire.
 * HMAC-SHA256 as lowercase hex; RSA-SHA256 (PKCS#1 v1.5) as base64 when the
 * secret is a PEM private key.
 */
import { createHmac, createPrivateKey, createSign, type KeyObject } from "node:crypto";

export interface SignInput {
  timestamp: number | string;
  apiKey: string;
  recvWindow: number | string;
  /** The raw query string without "?" (GET) or the raw body (POST). */
  payload: string;
  secret: string;
}

export function isPemKey(secret: string): boolean {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(secret);
}

/** The last PEM secret, parsed once: an order signs a dozen requests with it. */
let lastPem: { pem: string; key: KeyObject } | undefined;
function rsaKey(pem: string): KeyObject {
  if (lastPem?.pem !== pem) lastPem = { pem, key: createPrivateKey(pem) };
  return lastPem.key;
}

export function sign(input: SignInput): string {
  const text = `${input.timestamp}${input.apiKey}${input.recvWindow}${input.payload}`;
  if (isPemKey(input.secret)) {
    return createSign("RSA-SHA256").update(text).sign(rsaKey(input.secret), "base64");
  }
  return createHmac("sha256", input.secret).update(text).digest("hex");
}

/**
 * The query string exactly as it is sent and signed: parameters in the
 * order given, undefined/null/"" skipped, values URI-encoded.
 */
export function buildQuery(params: Record<string, unknown> | undefined): string {
  if (!params) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.join("&");
}
