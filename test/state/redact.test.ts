import { describe, expect, it } from "vitest";
import { isSensitiveKey, redact, scrubText } from "../../src/state/index.js";
import { EXACT_KEYS, MARKERS } from "../../src/state/redact.js";

describe("key rules", () => {
  it.each(EXACT_KEYS)("redacts the exact key %s", (key) => {
    expect(redact({ [key]: "v" }).value).toEqual({ [key]: "[redacted]" });
  });

  it.each(MARKERS.map((m) => `x_${m}_y`))("redacts a key containing a marker: %s", (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });

  it.each(["accountNumber", "Account-Number", "Account Number", "socialSecurityNumber", "X-BAPI-API-KEY", "apiKey", "accessToken", "clientSecret", "TIN"])(
    "folds camelCase / kebab / spaced / upper-case: %s",
    (key) => expect(isSensitiveKey(key)).toBe(true),
  );

  it.each(["account_ref", "accountRef", "account_balance", "symbol", "orderLinkId", "qty", "session_id", "consent_record_ref"])("keeps %s", (key) => {
    expect(isSensitiveKey(key)).toBe(false);
  });

  it("redacts whole subtrees under a sensitive key, any value type, and reports the paths", () => {
    const input = { account_ref: "acct-1", req: { headers: { a: 1 }, list: [{ password: null }, { ok: 2 }] } };
    const { value, redactedPaths } = redact(input);
    expect(value).toEqual({ account_ref: "acct-1", req: { headers: "[redacted]", list: [{ password: "[redacted]" }, { ok: 2 }] } });
    expect(redactedPaths).toEqual(["req.headers", "req.list[0].password"]);
  });

  it("returns a deep copy and leaves the input alone", () => {
    const input = { a: { token: "t" }, b: [1, { c: "Bearer abcdef" }] };
    const snapshot = structuredClone(input);
    const { value } = redact(input);
    expect(input).toEqual(snapshot);
    expect(value.a).not.toBe(input.a);
  });

  it("drops undefined and functions like JSON does, and survives cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1, u: undefined, f: () => 1 };
    cyclic.self = cyclic;
    expect(redact(cyclic).value).toEqual({ a: 1, self: "[circular]" });
  });
});

describe("scrubText", () => {
  it.each([
    ["Authorization: Bearer eyJhbGciOi.abc.def", "Authorization: Bearer [redacted]"],
    ["curl -H 'bearer abc.DEF-123=='", "curl -H 'bearer [redacted]'"],
    ["api_key=ABCDEF123 other=1", "api_key=[redacted] other=1"],
    ["apiSecret: s3cr3t", "apiSecret: [redacted]"],
    ['{"access_token": "tok-123", "symbol": "BTCUSDT"}', '{"access_token": "[redacted]", "symbol": "BTCUSDT"}'],
    ["X-BAPI-API-KEY: XyZ123", "X-BAPI-API-KEY: [redacted]"],
    ["password='hunter2'", "password='[redacted]'"],
    ["see https://user:pw@example.com/x", "see https://[redacted]@example.com/x"],
    ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "jwt [redacted]"],
    ["key sk-abcdefghijklmnopqrstuvwx end", "key [redacted] end"],
    ["aws AKIAABCDEFGHIJKLMNOP", "aws [redacted]"],
  ])("scrubs %j", (text, expected) => {
    expect(scrubText(text)).toBe(expected);
  });

  it("leaves ordinary text alone and is idempotent", () => {
    const text = "buy $100 BTCUSDT (linear); tokens: 1204 in; price=65000.5";
    expect(scrubText(text)).toBe(text);
    const once = scrubText("token=abc Bearer xyz");
    expect(scrubText(once)).toBe(once);
  });

  it("replaces literal configured secrets anywhere, keys included", () => {
    const canary = "CANARY-9f8e7d";
    expect(scrubText(`sig over ${canary}!`, [canary])).toBe("sig over [redacted]!");
    const { value, redactedPaths } = redact({ msg: `x${canary}y`, [canary]: 1, list: [canary] }, [canary]);
    expect(JSON.stringify(value)).not.toContain(canary);
    expect(redactedPaths).toEqual(["msg", "list[0]"]);
  });

  it("ignores an empty configured secret", () => {
    expect(scrubText("abc", [""])).toBe("abc");
  });
});
