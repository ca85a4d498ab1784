/**
 * Running recorded-order fixtures against a rule set: pass/fail per fixture
 * (decision and deciding rule, plus any fact spot checks) and rule coverage
 * (rules that decided nothing, conditions never true or never false).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { decide } from "../gate/decide.js";
import { dotPath } from "../gate/format.js";
import { loadFixture, type Fixture } from "./fixtures.js";
import type { RuleSet } from "../gate/rules.js";
import type { Decision } from "../gate/types.js";

export interface FixtureResult {
  fixture: Fixture | null;
  file: string;
  pass: boolean;
  /** Why it failed (or could not be loaded). */
  problems: string[];
  decision: Decision | null;
}

export interface Coverage {
  /** Enforced rules that decided no fixture. */
  undecided: string[];
  /** "rule where: fact.path operator" for conditions never seen true / never seen false. */
  neverTrue: string[];
  neverFalse: string[];
}

/** The fixture files (*.yaml, *.yml, *.json) in `dir`, sorted. */
export function fixtureFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

export async function runFixture(ruleSet: RuleSet, file: string): Promise<FixtureResult> {
  let fixture: Fixture;
  try {
    fixture = loadFixture(file);
  } catch (err) {
    return { fixture: null, file, pass: false, problems: [`cannot load: ${(err as Error).message}`], decision: null };
  }
  const decision = await decide(ruleSet, fixture.intent, fixture.raw);
  const problems: string[] = [];
  const want = fixture.want;
  if (!want) problems.push("the fixture has no want: {decision, rule}");
  else {
    if (decision.decision !== want.decision || decision.decided_by !== want.rule) {
      problems.push(`expected ${want.decision} (${want.rule ?? "-"}), got ${decision.decision} (${decision.decided_by ?? "-"}): ${decision.reason}`);
    }
    for (const [path, expected] of Object.entries(want.facts ?? {})) {
      let actual: unknown;
      try {
        actual = dotPath(decision.facts, path);
      } catch {
        actual = "(no such fact)";
      }
      if (JSON.stringify(actual) !== JSON.stringify(expected)) problems.push(`fact ${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
    if (want.reason_contains !== undefined && !decision.reason.includes(want.reason_contains)) {
      problems.push(`reason ${JSON.stringify(decision.reason)} does not contain ${JSON.stringify(want.reason_contains)}`);
    }
  }
  return { fixture, file, pass: problems.length === 0, problems, decision };
}

export async function runFixtures(ruleSet: RuleSet, dir: string): Promise<{ results: FixtureResult[]; coverage: Coverage }> {
  const results: FixtureResult[] = [];
  for (const file of fixtureFiles(dir)) results.push(await runFixture(ruleSet, file));
  return { results, coverage: coverage(ruleSet, results) };
}

export function coverage(ruleSet: RuleSet, results: FixtureResult[]): Coverage {
  const decided = new Set(results.map((r) => r.decision?.decided_by).filter((x): x is string => typeof x === "string"));
  const seen = new Map<string, { t: boolean; f: boolean }>();
  for (const rule of ruleSet.rules) {
    for (const r of results) {
      const ex = r.decision?.explanation.find((e) => e.id === rule.id);
      for (const c of ex?.conditions ?? []) {
        const key = `${rule.id} ${c.where ?? ""}: ${c.fact}${c.path ? `.${c.path}` : ""} ${c.operator} ${c.valueRef ?? JSON.stringify(c.value)}`;
        const s = seen.get(key) ?? { t: false, f: false };
        if (c.result === true) s.t = true;
        if (c.result === false) s.f = true;
        seen.set(key, s);
      }
    }
  }
  return {
    undecided: ruleSet.rules.filter((r) => r.enforcement === "enforce" && !decided.has(r.id)).map((r) => r.id),
    neverTrue: [...seen].filter(([, s]) => !s.t).map(([k]) => k),
    neverFalse: [...seen].filter(([, s]) => !s.f).map(([k]) => k),
  };
}
