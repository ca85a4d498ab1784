/**
 * The interactive `mandate init` and `mandate renew`, driven through a real
 * pseudo-terminal: questions with defaults, a bad answer asked again, the
 * summary, and the confirmation that alone commits.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseIsoTimestamp } from "../../src/gate/time.js";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { runInPty, type PtyStep } from "../helpers/pty.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const runtimes: Runtime[] = [];
afterEach(() => {
  for (const r of runtimes.splice(0)) r.cleanup();
});

function setup() {
  assertBuilt();
  const rt = tempRuntime();
  runtimes.push(rt);
  const env = { PATH: process.env.PATH ?? "", HOME: "/nonexistent", VIBE_RUNTIME_ROOT: rt.root, TERM: "xterm" };
  return { rt, env, pty: (args: string[], steps: PtyStep[]) => runInPty([process.execPath, CLI, ...args], env, steps) };
}

const mandateOf = (rt: Runtime) => JSON.parse(readFileSync(join(rt.broker, "mandate.json"), "utf8"));

/** Answers for every question of init, in order; "" takes the default. */
function answers(a: { funding?: string; maxOrder?: string; exposure?: string; leverage?: string; trades?: string; instruments?: string; classes?: string; exclude?: string; days?: string; flatten?: string }): PtyStep[] {
  return [
    { expect: String.raw`Account funding.*\[1000\]: `, send: `${a.funding ?? ""}\r` },
    { expect: String.raw`Largest single order.*\[100\]: `, send: `${a.maxOrder ?? ""}\r` },
    { expect: String.raw`Largest total gross exposure.*\]: `, send: `${a.exposure ?? ""}\r` },
    { expect: String.raw`Largest leverage.*\[1\]: `, send: `${a.leverage ?? ""}\r` },
    { expect: String.raw`Most orders per UTC day \[20\]: `, send: `${a.trades ?? ""}\r` },
    { expect: String.raw`Instrument types allowed.*\[crypto\]: `, send: `${a.instruments ?? ""}\r` },
    { expect: String.raw`Asset classes allowed.*\[crypto\]: `, send: `${a.classes ?? ""}\r` },
    { expect: String.raw`Symbols never to trade.*\]: `, send: `${a.exclude ?? ""}\r` },
    { expect: String.raw`Days until the mandate expires \[30\]: `, send: `${a.days ?? ""}\r` },
    { expect: String.raw`close positions.*\[no\]: `, send: `${a.flatten ?? ""}\r` },
  ];
}

describe("mandate init on a terminal", () => {
  it("asks each value, asks again after a bad answer, shows the summary and commits on yes", () => {
    const { rt, env, pty } = setup();
    const steps = answers({ funding: "5000", exposure: "2500", trades: "12", days: "14", flatten: "yes" });
    // A bad max-order answer first: the reason is shown and the same question comes back.
    steps.splice(1, 1, { expect: String.raw`Largest single order.*\[100\]: `, send: "lots\r" }, { expect: String.raw`must be a US dollar amount[\s\S]*Largest single order.*\[100\]: `, send: "500\r" });
    steps.push({ expect: String.raw`The mandate, for 14 days:[\s\S]*max order:\s+\$500\.00[\s\S]*never trade:\s+DOGEUSDT[\s\S]*cancel orders and close positions[\s\S]*Commit this mandate\? \[y/N\]: `, send: "y\r" });
    const r = pty(["mandate", "init", "--exclude", "DOGEUSDT"], steps);
    expect(r.status, r.transcript).toBe(0);
    expect(r.transcript).toMatch(/committed mandate_[0-9a-f]{32} for broker bybit/);
    const m = mandateOf(rt);
    expect(m.hard_caps).toEqual({ account_funding_usd: 5000, max_order_notional_usd: 500, max_total_exposure_usd: 2500, max_leverage: 1, allowed_instruments: ["crypto"], max_trades_per_day: 12 });
    // The flag became the default, and Enter took it.
    expect(m.universe.exclude_symbols).toEqual(["DOGEUSDT"]);
    expect(m.flatten_on_halt).toBe(true);
    expect(parseIsoTimestamp(m.consent.expires_at)! - parseIsoTimestamp(m.consent.created_at)!).toBe(14 * 86_400_000);
    const v = spawnSync(process.execPath, [CLI, "mandate", "validate"], { env, encoding: "utf8" });
    expect(v.status, v.stderr).toBe(0);
  });

  it("writes nothing when the person does not confirm", () => {
    const { rt, pty } = setup();
    const r = pty(["mandate", "init"], [...answers({}), { expect: String.raw`Commit this mandate\? \[y/N\]: `, send: "\r" }]);
    expect(r.status, r.transcript).toBe(1);
    expect(r.transcript).toContain("not confirmed; nothing was written");
    expect(existsSync(join(rt.broker, "mandate.json"))).toBe(false);
    expect(existsSync(join(rt.broker, "consent"))).toBe(false);
    expect(existsSync(join(rt.live, "audit.jsonl"))).toBe(false);
  });

  it("does not take a yes typed ahead, before the summary was shown, as the confirmation", () => {
    const { rt, pty } = setup();
    const steps = answers({});
    steps[steps.length - 1]!.send = "\ry\r";
    const r = pty(["mandate", "init"], [...steps, { expect: String.raw`Commit this mandate\? \[y/N\]: `, send: "n\r" }]);
    expect(r.status, r.transcript).toBe(1);
    expect(existsSync(join(rt.broker, "mandate.json"))).toBe(false);
  });

  it("says which caps make no sense together before asking", () => {
    const { pty } = setup();
    const r = pty(["mandate", "init"], [...answers({ funding: "1000", maxOrder: "900", exposure: "800" }), { expect: String.raw`note: the largest order is above the total exposure cap[\s\S]*Commit this mandate\? \[y/N\]: `, send: "n\r" }]);
    expect(r.status, r.transcript).toBe(1);
  });
});

describe("mandate renew", () => {
  it("keeps the caps, moves the expiry, and writes a new consent record and ledger record (--yes)", () => {
    const { rt, env } = setup();
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env, input: "", encoding: "utf8" });
    const init = run(["mandate", "init", "--funding", "5000", "--max-order", "500", "--max-exposure", "2500", "--trades-per-day", "20", "--exclude", "DOGEUSDT", "--days", "2", "--yes"]);
    expect(init.status, init.stderr).toBe(0);
    const before = mandateOf(rt);
    const r = run(["mandate", "renew", "--days", "60", "--yes"]);
    expect(r.status, r.stderr).toBe(0);
    const after = mandateOf(rt);
    expect(after.hard_caps).toEqual(before.hard_caps);
    expect(after.universe).toEqual(before.universe);
    expect(after.flatten_on_halt).toBe(before.flatten_on_halt);
    expect(after.mandate_id).not.toBe(before.mandate_id);
    expect(after.consent.consent_token_sha256).not.toBe(before.consent.consent_token_sha256);
    expect(parseIsoTimestamp(after.consent.expires_at)! - parseIsoTimestamp(after.consent.created_at)!).toBe(60 * 86_400_000);
    expect(parseIsoTimestamp(after.consent.expires_at)!).toBeGreaterThan(parseIsoTimestamp(before.consent.expires_at)!);
    expect(readdirSync(join(rt.broker, "consent"))).toHaveLength(2);
    const recs = readFileSync(join(rt.live, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(recs.map((x) => [x.kind, x.action, x.mandate_id, x.replaced_mandate_id])).toEqual([
      ["mandate_committed", "init", before.mandate_id, null],
      ["mandate_committed", "renew", after.mandate_id, before.mandate_id],
    ]);
    expect(run(["mandate", "validate"]).status).toBe(0);
  });

  it("renews an expired mandate, asking on a terminal first", () => {
    const { rt, pty } = setup();
    const past = Date.now() - 40 * 86_400_000;
    rt.writeMandate({ hard_caps: { max_order_notional_usd: 321 }, consent: { created_at: new Date(past).toISOString(), expires_at: new Date(past + 30 * 86_400_000).toISOString() } });
    const r = pty(["mandate", "renew"], [{ expect: String.raw`Renew m_example[\s\S]*for 30 more days[\s\S]*max order:\s+\$321\.00[\s\S]*Renew\? \[y/N\]: `, send: "yes\r" }]);
    expect(r.status, r.transcript).toBe(0);
    const m = mandateOf(rt);
    expect(m.hard_caps.max_order_notional_usd).toBe(321);
    expect(parseIsoTimestamp(m.consent.expires_at)!).toBeGreaterThan(Date.now() + 29 * 86_400_000);
  });

  it("has nothing to renew without a valid mandate (exit 1)", () => {
    const { env } = setup();
    const r = spawnSync(process.execPath, [CLI, "mandate", "renew", "--yes"], { env, input: "", encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nothing to renew");
  });
});
