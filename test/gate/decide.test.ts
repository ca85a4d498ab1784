import fc from "fast-check";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RulesError } from "../../src/errors.js";
import { decide, GATE_ERROR, GATE_RULES_INVALID, type RuleSet } from "../../src/gate/index.js";
import { sampleIntent, sampleRaw } from "../../src/gate/sample.js";
import type { Decision } from "../../src/gate/types.js";
import { packageRoot } from "../../src/util/package-root.js";
import { genCase, toInputs } from "./gen.js";
import { loadRuleSet, loadRuleSetOrError } from "../../src/state/rules-files.js";

const ruleSet = loadRuleSet();
const tmp = mkdtempSync(join(tmpdir(), "gate-decide-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("decide", () => {
  it("allows the sample order with the full record a ledger needs", async () => {
    const d = await decide(ruleSet, sampleIntent(), sampleRaw());
    expect(d).toMatchObject({ decision: "allow", allowed: true, requires_reauthorization: false, decided_by: null, intent_normalized: "buy $300.50 BTCUSDT (linear)" });
    expect(d.checked_limits.slice(0, 4)).toEqual(["mandate", "expiry", "halt_flag", "intent"]);
    expect(d.checked_limits).toContain("universe_floors");
    expect(d.rules_revision).toBe(ruleSet.rules_revision);
    expect(d.facts).toHaveProperty("order.notional_usd_exact", "300.5");
    expect(d.explanation.find((e) => e.id === "trades.max_per_day")?.status).toBe("passed");
    expect(d.explanation.find((e) => e.id === "leverage.setting")?.status).toBe("not_evaluated");
  });

  it("replays: the recorded facts are plain JSON", async () => {
    const d = await decide(ruleSet, sampleIntent(), sampleRaw());
    expect(JSON.parse(JSON.stringify(d.facts))).toEqual(d.facts);
  });

  it("denies every write with the lint error when the rule set is invalid", async () => {
    const dir = join(tmp, "broken");
    cpSync(join(packageRoot(), "rules"), dir, { recursive: true });
    writeFileSync(join(dir, "30-caps.yaml"), readFileSync(join(dir, "30-caps.yaml"), "utf8").replace("operator: greaterThan,", "operator: around,"));
    const broken = loadRuleSetOrError(dir);
    expect(broken).toBeInstanceOf(RulesError);
    for (const tool of ["place_order", "cancel_order", "set_leverage"] as const) {
      const d = await decide(broken as RulesError, sampleIntent(tool), sampleRaw());
      expect(d.decision).toBe("deny");
      expect(d.decided_by).toBe(GATE_RULES_INVALID);
      expect(d.reason).toMatch(/operator must be one of/);
      expect(d.rules_revision).toBe("invalid");
    }
  });

  it("denies, never throws, on inputs that break the facts", async () => {
    const raw = sampleRaw() as unknown as Record<string, unknown>;
    raw.nowMs = Number.NaN;
    const d = await decide(ruleSet, sampleIntent(), raw as never);
    expect(d.decision).toBe("deny");
    const d2 = await decide(ruleSet, null as never, null as never);
    expect(d2.decision).toBe("deny");
    expect(d2.decided_by).toBe(GATE_ERROR);
  });

  it("denies when a rule names a fact path that does not exist at run time", async () => {
    const typo: RuleSet = {
      ...ruleSet,
      rules: ruleSet.rules.map((r) =>
        r.id === "order.max_notional" ? { ...r, conditions: { all: [{ fact: "order", path: "notional_usdd", operator: "lessThanInclusive", value: 1 }] } } : r,
      ),
    };
    const d = await decide(typo, sampleIntent(), sampleRaw());
    expect(d.decision).toBe("deny");
    expect(d.reason).toMatch(/notional_usdd/);
  });

  it("denies when no enforced rule applies, or the mandate is invalid whatever the rules say", async () => {
    const none: RuleSet = { ...ruleSet, rules: ruleSet.rules.filter((r) => !r.applies_to.includes("set_trading_stop")) };
    expect((await decide(none, sampleIntent("set_trading_stop"), sampleRaw())).decided_by).toBe(GATE_ERROR);
    const permissive: RuleSet = { ...ruleSet, rules: ruleSet.rules.filter((r) => r.id === "halt.clear") };
    const raw = { ...sampleRaw(), mandate: { ok: false as const, reason: "no valid mandate: gone", problems: [] } };
    const d = await decide(permissive, sampleIntent("place_order"), raw);
    expect(d.decision).toBe("deny");
    expect(d.reason).toMatch(/gone/);
  });

  it("1,000 overlapping evaluations decide exactly as the same inputs one by one", async () => {
    const cases = fc.sample(genCase(), { numRuns: 1000, seed: 42 }).map(toInputs);
    const serial: Decision[] = [];
    for (const c of cases) serial.push(await decide(ruleSet, c.intent, c.raw));
    const parallel = await Promise.all(cases.map((c) => decide(ruleSet, c.intent, c.raw)));
    const key = (d: Decision) => JSON.stringify([d.decision, d.decided_by, d.reason, d.checked_limits, d.explanation.map((e) => e.status)]);
    expect(parallel.map(key)).toEqual(serial.map(key));
    expect(new Set(serial.map((d) => d.decision)).size).toBe(3);
  });
});
