/**
 * The rule set linted at build time: loaded at start instead of parsing and
 * linting, but only when it is of the very files on disk; any doubt lints.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultRulesDir, lintRuleSet, prebuildRuleSet, readPrebuiltRules, type PrebuiltRules } from "../../src/state/rules-files.js";

const write = (p: unknown): string => {
  const file = join(mkdtempSync(join(tmpdir(), "prebuilt-")), "rules.prebuilt.json");
  writeFileSync(file, typeof p === "string" ? p : JSON.stringify(p));
  return file;
};

describe("prebuilt rules", () => {
  it("load as exactly what the lint makes of the default rules", () => {
    const linted = lintRuleSet(defaultRulesDir()).ruleSet!;
    const loaded = readPrebuiltRules(defaultRulesDir(), write(prebuildRuleSet()));
    expect(loaded).toEqual(linted);
  });

  it("are not used for another directory, files that hash differently, a tampered rule, or an unreadable file", () => {
    const good = prebuildRuleSet();
    expect(readPrebuiltRules(join(tmpdir(), "elsewhere"), write(good))).toBeNull();
    expect(readPrebuiltRules(defaultRulesDir(), write({ ...good, source_sha256: "sha256:00" }))).toBeNull();
    const rules = good.ruleSet.rules.map((r, i) => (i === 0 ? { ...r, params: { ...r.params, x: 1 } } : r));
    const tampered: PrebuiltRules = { ...good, ruleSet: { ...good.ruleSet, rules } };
    expect(readPrebuiltRules(defaultRulesDir(), write(tampered))).toBeNull();
    expect(readPrebuiltRules(defaultRulesDir(), write("{not json"))).toBeNull();
    expect(readPrebuiltRules(defaultRulesDir(), join(tmpdir(), "no-such-prebuilt.json"))).toBeNull();
  });

  it("the build wrote one that matches the rules on disk (npm test builds first)", () => {
    expect(readPrebuiltRules(defaultRulesDir())?.rules_revision).toBe(lintRuleSet(defaultRulesDir()).ruleSet!.rules_revision);
  });
});
