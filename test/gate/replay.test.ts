/**
 * replayDecision re-runs the rules over recorded facts: it is the facts, not
 * the recorded verdict, that decide. Facts are plain JSON, so what the ledger
 * stores is what the rules saw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RulesError } from "../../src/errors.js";
import { decide, GATE_ERROR, GATE_RULES_INVALID, plainJson, replayDecision, type RuleSet } from "../../src/gate/index.js";
import { sampleIntent, sampleRaw } from "../../src/gate/sample.js";
import { genCase, toInputs } from "./gen.js";
import { loadRuleSet } from "../../src/state/rules-files.js";

const ruleSet = loadRuleSet();
const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("replayDecision", () => {
  it("decides from the facts it is given: a tampered notional pauses", async () => {
    const d = await decide(ruleSet, sampleIntent(), sampleRaw());
    expect(d.decision).toBe("allow");
    const facts = roundTrip(d.facts) as { order: { notional_usd: number } };
    facts.order.notional_usd = 1500;
    const r = await replayDecision(ruleSet, "place_order", facts as unknown as Record<string, unknown>);
    expect(r).toMatchObject({ decision: "pause_for_reauth", decided_by: "order.max_notional" });
    expect(r.reason).toBe("order notional $1,500.00 exceeds max_order_notional_usd $1,000.00");
  });

  it("takes the tool from the call: the same facts under set_leverage run its rules", async () => {
    const d = await decide(ruleSet, sampleIntent("set_leverage"), sampleRaw());
    const r = await replayDecision(ruleSet, sampleIntent("set_leverage"), roundTrip(d.facts));
    expect(r.checked_limits).toEqual(d.checked_limits);
    expect(r.checked_limits).toContain("max_leverage");
    expect(r.intent_normalized).toBe("set_leverage 2x BTCUSDT (linear)");
  });

  it("a different rule set gives its own decision (replay needs the recorded rules_revision)", async () => {
    const d = await decide(ruleSet, sampleIntent(), sampleRaw());
    const strict: RuleSet = {
      ...ruleSet,
      rules_revision: "sha256:strict",
      rules: ruleSet.rules.map((r) => (r.id === "price_band.limit_near_mark" ? { ...r, conditions: { all: [{ fact: "order", path: "limit_price_aggressive_pct", operator: "lessThanInclusive", value: 0 }] } } : r)),
    };
    const r = await replayDecision(strict, "place_order", roundTrip(d.facts));
    expect(r).toMatchObject({ decision: "deny", decided_by: "price_band.limit_near_mark", rules_revision: "sha256:strict" });
  });

  it("denies facts that are not a gate's facts, and every call under an invalid rule set", async () => {
    const empty = await replayDecision(ruleSet, "place_order", {});
    expect(empty).toMatchObject({ decision: "deny", decided_by: GATE_ERROR, allowed: false });
    const junk = await replayDecision(ruleSet, "place_order", null as never);
    expect(junk.decided_by).toBe(GATE_ERROR);
    const d = await decide(ruleSet, sampleIntent(), sampleRaw());
    const invalid = await replayDecision(new RulesError("rules/ is broken"), "place_order", roundTrip(d.facts));
    expect(invalid).toMatchObject({ decision: "deny", decided_by: GATE_RULES_INVALID, rules_revision: "invalid" });
  });

  it("replays random orders to the same verdict after a JSON round trip", async () => {
    await fc.assert(
      fc.asyncProperty(genCase(), async (c) => {
        const { intent, raw } = toInputs(c);
        const d = await decide(ruleSet, intent, raw);
        const stored = roundTrip(d.facts);
        expect(stored).toStrictEqual(d.facts);
        const r = await replayDecision(ruleSet, intent.tool, stored);
        expect([r.decision, r.decided_by, r.checked_limits, r.reason]).toEqual([d.decision, d.decided_by, d.checked_limits, d.reason]);
      }),
      { numRuns: 150 },
    );
  });
});

describe("facts are plain JSON", () => {
  it("plainJson turns what a round trip would change into null (bigints into strings)", () => {
    const odd = { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: undefined, d: 10n, e: [undefined, 1, -0.5], f: () => 1, g: { h: "x", i: true } };
    expect(plainJson(odd)).toStrictEqual({ a: null, b: null, c: null, d: "10", e: [null, 1, -0.5], f: null, g: { h: "x", i: true } });
  });

  it("a quote with an unreadable timestamp is recorded as age null, and still refused", async () => {
    const raw = sampleRaw();
    raw.quote = { ...raw.quote!, fetchedAtMs: Number.NaN };
    const d = await decide(ruleSet, sampleIntent(), raw);
    expect(d.decided_by).toBe("quote.available");
    expect((d.facts as { quote: { age_ms: unknown } }).quote.age_ms).toBeNull();
    expect(roundTrip(d.facts)).toStrictEqual(d.facts);
    expect((await replayDecision(ruleSet, "place_order", roundTrip(d.facts))).decided_by).toBe("quote.available");
  });
});
