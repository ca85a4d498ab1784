/**
 * The design is declarative: a check beyond Vibe-Trading (the price band)
 * exists only as a rule file. Removing the file changes the outcome of the
 * same fixture with no code change; `enforcement: shadow` explains without
 * deciding; the band's width N is data too.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decide } from "../../src/gate/index.js";
import { loadFixture } from "../../src/policy/fixtures.js";
import { fixtureFiles } from "../../src/policy/policy.js";
import { packageRoot } from "../../src/util/package-root.js";
import { loadRuleSet } from "../../src/state/rules-files.js";

const RULES = join(packageRoot(), "rules");
const tmp = mkdtempSync(join(tmpdir(), "gate-decl-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const fixture = loadFixture(fixtureFiles(join(packageRoot(), "test", "fixtures", "orders")).find((f) => f.includes("band-limit-6pct-above"))!);

function variant(name: string, edit: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(RULES, dir, { recursive: true });
  edit(dir);
  return dir;
}

describe("price band as data", () => {
  it("denies the fat-finger fixture with the shipped rules", async () => {
    const d = await decide(loadRuleSet(RULES), fixture.intent, fixture.raw);
    expect(d.decision).toBe("deny");
    expect(d.decided_by).toBe("price_band.limit_near_mark");
    expect(d.reason).toBe("limit buy price 63600 is 6.00% above the reference 60000, more than the 5.00% price band (fat finger?)");
    expect(d.breach).toMatchObject({ limit: "price_band", kind: "price_band", limit_value: 5, attempted_value: 6, overage: 1 });
  });

  it("allows the same fixture once price-band.yaml is removed, and the revision changes", async () => {
    const withBand = loadRuleSet(RULES);
    const without = loadRuleSet(variant("no-band", (dir) => rmSync(join(dir, "price-band.yaml"))));
    const d = await decide(without, fixture.intent, fixture.raw);
    expect(d.decision).toBe("allow");
    expect(d.checked_limits).not.toContain("price_band");
    expect(without.rules_revision).not.toBe(withBand.rules_revision);
  });

  it("takes N from the rule file", async () => {
    const wide = loadRuleSet(variant("wide-band", (dir) => {
      const f = join(dir, "price-band.yaml");
      writeFileSync(f, readFileSync(f, "utf8").replace("max_deviation_pct: 5", "max_deviation_pct: 7"));
    }));
    expect((await decide(wide, fixture.intent, fixture.raw)).decision).toBe("allow");
  });

  it("a shadow rule is evaluated and explained but never decides", async () => {
    const shadow = loadRuleSet(variant("shadow-band", (dir) => {
      const f = join(dir, "price-band.yaml");
      writeFileSync(f, readFileSync(f, "utf8").replace("    outcome: deny\n", "    outcome: deny\n    enforcement: shadow\n"));
    }));
    const d = await decide(shadow, fixture.intent, fixture.raw);
    expect(d.decision).toBe("allow");
    const band = d.explanation.find((e) => e.id === "price_band.limit_near_mark")!;
    expect(band.status).toBe("shadow_failed");
    expect(band.enforcement).toBe("shadow");
    expect(band.message).toContain("more than the 5.00% price band");
    expect(band.conditions.map((c) => c.result)).toEqual([false, false]);
  });

  it("reformatting a rule file does not change rules_revision", () => {
    const a = loadRuleSet(RULES).rules_revision;
    const b = loadRuleSet(variant("reformatted", (dir) => {
      const f = join(dir, "price-band.yaml");
      writeFileSync(f, `# a comment\n${readFileSync(f, "utf8").replace(/\n\n/g, "\n")}`);
    })).rules_revision;
    expect(b).toBe(a);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
