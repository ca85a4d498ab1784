/**
 * Redaction before anything is written or returned, with Vibe-Trading's
 * rules (agent/src/tools/redaction.py, the strict "arguments" sink it uses
 * for the live audit ledger):
 *
 * Keys: a value is replaced by "[redacted]" when its key, lower-cased, is one
 * of EXACT_KEYS or contains a MARKER; or when the key folded to letters and
 * digits (accountNumber, account-number → accountnumber) matches the folded
 * forms. `account_ref` is not on the list: it is the mandate → consent
 * provenance and is kept.
 *
 * Strings: every string value is scrubbed (scrubText): literal configured
 * secrets (the API key and secret), Bearer tokens, URL user-info,
 * `key=value` / `key: value` / `"key": "value"` credential pairs, and bare
 * well-known token shapes (JWTs, sk-..., GitHub, Slack, AWS, PyPI).
 *
 * Differences from Vibe-Trading: its value-shaped exemptions for token
 * usage counters (token_budget, total_input_tokens, ...) are not copied, so
 * such keys are redacted here (stricter, never looser); configured secrets
 * are also removed from object keys.
 */

export const REDACTED = "[redacted]";

/** Exact key names (compared lower-cased, and folded). */
export const EXACT_KEYS: readonly string[] = [
  "account_number",
  "account_id",
  "account_no",
  "account_num",
  "brokerage_account_number",
  "brokerage_account_id",
  "account_url",
  "rhs_account_number",
  "ssn",
  "social_security_number",
  "tax_id",
  "taxpayer_id",
  "tin",
  "routing_number",
  "bank_account_number",
  "api_key",
  "authorization",
  "content",
  "env",
  "headers",
  "passphrase",
  "password",
  "secret",
  "token",
];

/** Substrings that make a key sensitive (compared lower-cased, and folded). */
export const MARKERS: readonly string[] = ["api_key", "authorization", "password", "secret", "token"];

const fold = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
const EXACT = new Set(EXACT_KEYS);
const EXACT_FOLDED = new Set(EXACT_KEYS.map(fold));
const MARKERS_FOLDED = MARKERS.map(fold);

// Keys repeat across records (qty, symbol, orderLinkId...): remember verdicts, boundedly.
const keyVerdicts = new Map<string, boolean>();

/** Whether a value stored under `key` must be redacted. */
export function isSensitiveKey(key: string): boolean {
  const cached = keyVerdicts.get(key);
  if (cached !== undefined) return cached;
  const normalized = key.trim().toLowerCase();
  const folded = fold(key);
  const verdict =
    EXACT.has(normalized) ||
    MARKERS.some((m) => normalized.includes(m)) ||
    EXACT_FOLDED.has(folded) ||
    MARKERS_FOLDED.some((m) => folded.includes(m));
  if (keyVerdicts.size >= 10_000) keyVerdicts.clear();
  keyVerdicts.set(key, verdict);
  return verdict;
}

// Credential names recognized in free text; longer names first so access_token is not cut to token.
const TEXT_KEYS =
  "api[_-]?key|api[_-]?secret|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer[_-]?token|id[_-]?token" +
  "|session[_-]?token|client[_-]?secret|secret[_-]?key|private[_-]?key|app[_-]?secret" +
  "|passphrase|password|passwd|authorization|secret|token";
// A value: double-quoted, single-quoted, or bare up to whitespace/punctuation ("[" excluded, so "[redacted]" is never re-matched).
const TEXT_VALUE = `"[^"\\n]*"|'[^'\\n]*'|[^\\s,;{}\\[\\]()"']+`;
const KV = new RegExp(
  `(["']?)(${TEXT_KEYS})\\b\\1(\\s*[:=]\\s*)(?!["']?\\[redacted\\]["']?|bearer\\b)(${TEXT_VALUE})`,
  "gi",
);
const BEARER = /\b(bearer)\s+[A-Za-z0-9._~+/-]+=*/gi;
const BEARER_HINT = /bearer/i;
const TOKEN_HINT = /sk-|gh[pousr]_|xox|AKIA|pypi-|eyJ/;
const URL_USERINFO = /(?<=:\/\/)[^\s/?#@]+@/g;
const BARE_TOKEN = new RegExp(
  "(?<![A-Za-z0-9_-])(?:" +
    [
      "sk-[A-Za-z0-9_-]{20,}",
      "gh[pousr]_[A-Za-z0-9]{30,}",
      "xox[baprs]-[A-Za-z0-9-]{10,}",
      "AKIA[0-9A-Z]{16}",
      "pypi-[A-Za-z0-9_-]{16,}",
      "eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{5,}",
    ].join("|") +
    ")(?![A-Za-z0-9_-])",
  "g",
);

/** Replace secret-looking parts of free text (and any literal `extraSecrets`) with "[redacted]". Idempotent. */
export function scrubText(text: string, extraSecrets: string[] = []): string {
  let s = replaceLiterals(text, extraSecrets);
  // Bybit's 10004 answer echoes the signed string, API key included.
  s = stripOriginString(s);
  // Cheap guards first: most values (symbols, decimals, ids) can match none of the patterns.
  if (BEARER_HINT.test(s)) s = s.replace(BEARER, `$1 ${REDACTED}`);
  if (s.includes("://")) s = s.replace(URL_USERINFO, `${REDACTED}@`);
  if (s.includes(":") || s.includes("=")) {
    s = s.replace(KV, (_m, q: string, name: string, sep: string, value: string) => {
      const vq = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
      return `${q}${name}${q}${sep}${vq}${REDACTED}${vq}`;
    });
  }
  return TOKEN_HINT.test(s) ? s.replace(BARE_TOKEN, REDACTED) : s;
}

const ORIGIN_STRING = /origin_string\[[^\]]*\]?/g;

/** Bybit's 10004 message without the signed string it echoes (API key included). */
export function stripOriginString(text: string): string {
  return text.includes("origin_string[") ? text.replace(ORIGIN_STRING, `origin_string[${REDACTED}]`) : text;
}

/**
 * A deep copy of plain data with scrubText applied to every string (keys
 * kept as they are): for tool results, where key-based redaction would
 * blank the MCP `content` field itself.
 */
export function scrubStrings<T>(value: T, extraSecrets: string[] = []): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return scrubText(v, extraSecrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

function replaceLiterals(text: string, secrets: string[]): string {
  let s = text;
  for (const secret of secrets) {
    if (secret !== "" && s.includes(secret)) s = s.split(secret).join(REDACTED);
  }
  return s;
}

/**
 * A redacted deep copy of `value` and the paths that were changed
 * ("broker_request.headers", "gate_decision.notes[2]"). Plain data only:
 * objects with toJSON (Date) are copied as their JSON form, functions and
 * undefined members are dropped, a cycle becomes "[circular]".
 */
export function redact<T>(value: T, extraSecrets: string[] = []): { value: T; redactedPaths: string[] } {
  const paths: string[] = [];
  const secrets = extraSecrets.filter((s) => s !== "");
  const copy = walk(value, "", secrets, paths, new Set());
  return { value: copy as T, redactedPaths: paths };
}

function walk(value: unknown, path: string, secrets: string[], paths: string[], seen: Set<object>): unknown {
  if (typeof value === "string") {
    const scrubbed = scrubText(value, secrets);
    if (scrubbed !== value) paths.push(path || "$");
    return scrubbed;
  }
  if (typeof value !== "object" || value === null) return value;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") return walk(withJson.toJSON(), path, secrets, paths, seen);
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item, i) => walk(item, `${path}[${i}]`, secrets, paths, seen));
  } else {
    const obj: Record<string, unknown> = {};
    for (const [rawKey, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
      const key = replaceLiterals(rawKey, secrets);
      const childPath = path ? `${path}.${key}` : key;
      let v: unknown;
      if (isSensitiveKey(rawKey)) {
        v = REDACTED;
        if (item !== REDACTED) paths.push(childPath);
      } else {
        v = walk(item, childPath, secrets, paths, seen);
      }
      if (key === "__proto__") Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
    }
    out = obj;
  }
  seen.delete(value);
  return out;
}
