import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { brokerKeyProblem } from "../../src/gate/index.js";
import { normalizeBrokerKey, resolveRuntimeRoot, runtimePaths } from "../../src/state/index.js";

describe("resolveRuntimeRoot", () => {
  it("prefers VIBE_RUNTIME_ROOT, then VIBE_TRADING_HOME, then ~/.vibe-trading", () => {
    expect(resolveRuntimeRoot({ VIBE_RUNTIME_ROOT: "/a", VIBE_TRADING_HOME: "/b", HOME: "/h" })).toBe("/a");
    expect(resolveRuntimeRoot({ VIBE_RUNTIME_ROOT: " ", VIBE_TRADING_HOME: "/b", HOME: "/h" })).toBe("/b");
    expect(resolveRuntimeRoot({ HOME: "/h" })).toBe("/h/.vibe-trading");
  });

  it("expands a leading ~ with HOME from the given env", () => {
    expect(resolveRuntimeRoot({ VIBE_TRADING_HOME: "~/vt", HOME: "/home/u" })).toBe("/home/u/vt");
    expect(resolveRuntimeRoot({ VIBE_TRADING_HOME: "~", HOME: "/home/u" })).toBe("/home/u");
  });
});

describe("normalizeBrokerKey", () => {
  it("trims and lower-cases", () => expect(normalizeBrokerKey("  ByBit ")).toBe("bybit"));
  it.each([undefined, "", "  ", "a/b", "a\\b", "..", "x..y", ".", "a.b", "a b", "bybit\n2", "é", "x".repeat(65)])("rejects %j (invalid means halted)", (raw) => {
    expect(normalizeBrokerKey(raw)).toBeNull();
    expect(brokerKeyProblem(raw)).not.toBeNull();
  });
  it.each(["bybit", " Bybit-Sub_2 ", "x".repeat(64), "0"])("accepts %j, as brokerKeyProblem does", (raw) => {
    expect(normalizeBrokerKey(raw)).toBe(raw.trim().toLowerCase());
    expect(brokerKeyProblem(raw)).toBeNull();
  });
});

describe("runtimePaths", () => {
  it("lays files out as Vibe-Trading does", () => {
    const p = runtimePaths("/r", "Bybit");
    expect(p).toEqual({
      root: "/r",
      live: "/r/live",
      globalHalt: "/r/live/HALT",
      brokerHalt: "/r/live/bybit/HALT",
      brokerDir: "/r/live/bybit",
      mandate: "/r/live/bybit/mandate.json",
      counter: "/r/live/bybit/trade_counter.json",
      lock: join("/r/live/bybit", ".order_submit.lock"),
      journal: join("/r/live/bybit", "inflight.jsonl"),
      approvals: "/r/live/bybit/approvals",
      audit: "/r/live/audit.jsonl",
      auditChain: "/r/live/audit_chain.jsonl",
      auditTip: "/r/live/.audit_chain_tip.json",
      broker: "bybit",
    });
  });

  it("throws StateError for an invalid broker key", () => {
    expect(() => runtimePaths("/r", "../x")).toThrow(StateError);
    expect(() => runtimePaths("/r", ".")).toThrow(StateError);
  });
});
