/**
 * Timing of the gate for the bench harness (npm run bench): rules evaluation
 * alone (a fresh Engine per run, as decide() does) and the whole decide()
 * (facts, rules, explanation). Never asserted in tests: machines are shared.
 */
import { performance } from "node:perf_hooks";
import { decide } from "../src/gate/decide.js";
import { runRules } from "../src/gate/engine.js";
import { buildFacts } from "../src/gate/facts.js";
import { loadRuleSet } from "../src/state/rules-files.js";
import { sampleIntent, sampleRaw } from "../src/gate/sample.js";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

export async function benchGate(
  iterations: number,
): Promise<{ rulesOnlyP50Us: number; rulesOnlyP99Us: number; decideP50Us: number; decideP99Us: number }> {
  const ruleSet = loadRuleSet();
  const intent = sampleIntent("place_order");
  const raw = sampleRaw();
  const rules = ruleSet.rules.filter((r) => r.applies_to.includes(intent.tool));
  const facts = buildFacts(intent, raw) as unknown as Record<string, unknown>;
  const n = Math.max(1, Math.floor(iterations));
  const warm = Math.min(200, n);
  for (let i = 0; i < warm; i++) {
    await runRules(rules, facts);
    await decide(ruleSet, intent, raw);
  }
  const rulesUs: number[] = [];
  const decideUs: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await runRules(rules, facts);
    rulesUs.push((performance.now() - t) * 1000);
    t = performance.now();
    await decide(ruleSet, intent, raw);
    decideUs.push((performance.now() - t) * 1000);
  }
  rulesUs.sort((a, b) => a - b);
  decideUs.sort((a, b) => a - b);
  return {
    rulesOnlyP50Us: percentile(rulesUs, 0.5),
    rulesOnlyP99Us: percentile(rulesUs, 0.99),
    decideP50Us: percentile(decideUs, 0.5),
    decideP99Us: percentile(decideUs, 0.99),
  };
}
