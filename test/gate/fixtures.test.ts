/**
 * Every recorded-order fixture is its own named test, so a bad fixture reads
 * by name; and every fixture's decision replays from its recorded facts
 * after a JSON round trip (as the ledger stores them) to the same decision.
 */
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { decide, replayDecision } from "../../src/gate/index.js";
import { loadFixture } from "../../src/policy/fixtures.js";
import { fixtureFiles, runFixture } from "../../src/policy/policy.js";
import { packageRoot } from "../../src/util/package-root.js";
import { loadRuleSet } from "../../src/state/rules-files.js";

const ruleSet = loadRuleSet();
const files = fixtureFiles(join(packageRoot(), "test", "fixtures", "orders"));

/** What a decision says, without the facts it carries (compared separately). */
function verdict(d: Awaited<ReturnType<typeof decide>>) {
  const { facts: _facts, ...rest } = d;
  return rest;
}

describe("recorded-order fixtures", () => {
  it("are there to run", () => {
    expect(files.length).toBeGreaterThanOrEqual(80);
  });

  for (const file of files) {
    it(basename(file), async () => {
      const r = await runFixture(ruleSet, file);
      expect(r.problems).toEqual([]);
      expect(r.pass).toBe(true);
    });
  }
});

describe("replay from recorded facts", () => {
  for (const file of files) {
    it(basename(file), async () => {
      const fixture = loadFixture(file);
      const d = await decide(ruleSet, fixture.intent, fixture.raw);
      const stored = JSON.parse(JSON.stringify(d.facts)) as Record<string, unknown>;
      // Plain JSON: the round trip changes nothing.
      expect(stored).toStrictEqual(d.facts);
      const replayed = await replayDecision(ruleSet, fixture.intent.tool, stored);
      expect(replayed.decision).toBe(d.decision);
      expect(replayed.decided_by).toBe(d.decided_by);
      expect(replayed.checked_limits).toEqual(d.checked_limits);
      expect(verdict(replayed)).toEqual(verdict(d));
      expect(replayed.facts).toEqual(stored);
    });
  }
});
