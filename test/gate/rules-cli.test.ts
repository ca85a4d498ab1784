import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rulesCommand } from "../../src/cli/rules.js";
import { fixtureFiles } from "../../src/policy/policy.js";
import { packageRoot } from "../../src/util/package-root.js";
import { captureIo } from "./helpers.js";

const FIXTURES = join(packageRoot(), "test", "fixtures", "orders");
const RULES = join(packageRoot(), "rules");
const tmp = mkdtempSync(join(tmpdir(), "gate-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("bybit-mcp rules test", () => {
  it("passes every recorded fixture and reports full coverage", async () => {
    const io = captureIo();
    const code = await rulesCommand(["test", FIXTURES], io);
    expect(io.err()).toBe("");
    expect(code).toBe(0);
    const files = fixtureFiles(FIXTURES);
    expect(files.length).toBeGreaterThanOrEqual(40);
    const lines = io.out().split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
    expect(lines).toHaveLength(files.length);
    expect(lines.every((l) => l.startsWith("PASS"))).toBe(true);
    expect(io.out()).toContain("PASS  linear-market-over");
    expect(io.out()).toContain("pause_for_reauth (order.max_notional)");
    expect(io.out()).toMatch(/rules that decided no fixture: none/);
    expect(io.out()).toMatch(/conditions never true: none/);
    expect(io.out()).toMatch(/conditions never false: none/);
  });

  it("exits 1 and shows expected vs actual when a fixture is wrong", async () => {
    const dir = join(tmp, "wrong");
    cpSync(FIXTURES, dir, { recursive: true });
    cpSync(join(FIXTURES, "..", "mandates"), join(tmp, "mandates"), { recursive: true });
    const file = join(dir, fixtureFiles(dir).find((f) => f.includes("linear-market-over"))!.split("/").pop()!);
    writeFileSync(file, readFileSync(file, "utf8").replace("decision: pause_for_reauth", "decision: allow").replace("rule: order.max_notional", "rule: null"));
    const io = captureIo();
    expect(await rulesCommand(["test", dir], io)).toBe(1);
    expect(io.out()).toMatch(/FAIL {2}linear-market-over +expected allow \(-\), got pause_for_reauth \(order\.max_notional\)/);
    expect(io.out()).toMatch(/1 failed/);
  });

  it("exits 2 on a missing directory or unknown subcommand", async () => {
    expect(await rulesCommand(["test", join(tmp, "nope")], captureIo())).toBe(2);
    expect(await rulesCommand(["frobnicate"], captureIo())).toBe(2);
    const help = captureIo();
    expect(await rulesCommand(["--help"], help)).toBe(0);
    expect(help.out()).toContain("rules explain FIXTURE");
  });
});

describe("bybit-mcp rules explain", () => {
  it("prints a table per rule with each condition's fact value and threshold", async () => {
    const io = captureIo();
    const file = fixtureFiles(FIXTURES).find((f) => f.includes("funding-buy-over"))!;
    expect(await rulesCommand(["explain", file], io)).toBe(0);
    const out = io.out();
    expect(out).toContain("decision:  pause_for_reauth (decided by funding.buys_within_funding)");
    expect(out).toContain("reason:    post-trade gross exposure $2,100.00 exceeds account_funding_usd $2,000.00");
    expect(out).toMatch(/funding\.buys_within_funding +account_funding_usd +FAIL/);
    expect(out).toContain("exposure.post_trade_gross_usd = 2100  lessThanInclusive  mandate.hard_caps.account_funding_usd = 2000");
    expect(out).toMatch(/leverage\.setting +max_leverage +- /);
  });

  it("explains an order given as JSON", async () => {
    const order = {
      call: { tool: "place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.01" } },
      recorded: { now: "2025-06-01T12:00:00Z", mandate: { error: "no valid mandate: no mandate file" } },
    };
    const io = captureIo();
    expect(await rulesCommand(["explain", "--order", JSON.stringify(order), "--json"], io)).toBe(0);
    const d = JSON.parse(io.out());
    expect(d.decision).toBe("deny");
    expect(d.decided_by).toBe("mandate.valid");
    expect(await rulesCommand(["explain", "--order", "{not json"], captureIo())).toBe(2);
  });
});

describe("bybit-mcp rules lint", () => {
  function brokenRules(name: string, edit: (text: string) => string, file = "30-caps.yaml"): string {
    const dir = join(tmp, name);
    cpSync(RULES, dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), "utf8")));
    return dir;
  }
  async function lint(dir?: string) {
    const io = captureIo();
    const code = await rulesCommand(dir ? ["lint", dir] : ["lint"], io);
    return { code, out: io.out(), err: io.err() };
  }

  it("accepts the shipped rules after a smoke evaluation", async () => {
    const r = await lint();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^rules ok: \d+ rules in 5 files, version 1\.0\.0, sha256:[0-9a-f]{64}/);
  });

  it.each([
    ["unknown-fact", (t: string) => t.replace("fact: order, path: notional_usd, operator: lessThanInclusive", "fact: orders, path: notional_usd, operator: lessThanInclusive"), /unknown fact "orders"/],
    ["unknown-path", (t: string) => t.replace("path: notional_usd, operator: greaterThan", "path: notional, operator: greaterThan"), /unknown fact path "order\.notional"/],
    ["unknown-operator", (t: string) => t.replace("operator: greaterThan, value: 0", "operator: biggerThan, value: 0"), /operator must be one of equal/],
    ["duplicate-id", (t: string) => t.replace("id: exposure.max_total", "id: order.max_notional"), /duplicate rule id order\.max_notional/],
    ["uncovered-limit", (t: string) => t.replace("checked_limit: account_funding_usd", "checked_limit: funding"), /no enforced rule checks account_funding_usd for place_order/],
    ["unknown-key", (t: string) => t.replace("    kind: quantitative\n", "    kind: quantitative\n    severity: high\n"), /severity is not a field of a rule file/],
    ["bad-yaml", (t: string) => `${t}\n  - : [\n`, /cannot be parsed/],
    ["bad-template", (t: string) => t.replace("exceeds max_order_notional_usd ${limit}", "exceeds ${mandate.caps.max}"), /unknown fact path "mandate\.caps\.max"/],
  ])("rejects %s", async (name, edit, message) => {
    const r = await lint(brokenRules(name, edit));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});
