/**
 * The PostgreSQL shared state against a real cluster: migrations, the
 * mandate's versions, the counter, the ledger chain (verified by the files'
 * verifier and by python3 as ledger.py walks it, over `audit export`'s
 * files), approvals consumed once under FOR UPDATE, the order lock across
 * two connections, HALT seen through LISTEN/NOTIFY.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { PgState } from "../../src/state/pg/store.js";
import { runtimePaths } from "../../src/state/paths.js";
import { verifyChainFiles } from "../../src/state/chain.js";
import type { MandateTerms } from "../../src/state/consent.js";
import { isHalted, tripHalt } from "../../src/state/halt.js";
import { withOrderLock } from "../../src/state/lock.js";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";
import { pyRun } from "./helpers.js";
import { PY_VERIFY_CHAIN } from "./pychain.js";

const TERMS: MandateTerms = {
  hard_caps: { account_funding_usd: 10000, max_order_notional_usd: 1000, max_total_exposure_usd: 5000, max_leverage: 1, allowed_instruments: ["crypto"], max_trades_per_day: 10 },
  universe: { asset_classes: ["crypto"], min_market_cap_usd: null, min_avg_daily_volume_usd: null, exclude_symbols: [] },
  flatten_on_halt: false,
};
const COMMIT = { days: 30, action: "init" as const, sessionId: "s_test", source: "cli" };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePg("the PostgreSQL shared state", () => {
  let url: string;
  let root: string;
  const open: PgState[] = [];
  const state = (broker = "bybit", extra: Partial<ConstructorParameters<typeof PgState>[0]> = {}) => {
    const s = new PgState({ url, safeUrl: url, broker, paths: runtimePaths(join(root, "absent"), broker), runtimeRoot: join(root, "absent"), extraSecrets: ["CANARY-SECRET-123"], ...extra });
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    url = await freshDatabase(pgTestUrl()!);
  });
  afterAll(async () => {
    await dropDatabase(url);
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bybit-mcp-pg-"));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    rmSync(root, { recursive: true, force: true });
  });

  it("applies its migrations once, even when five servers start together", async () => {
    await Promise.all([1, 2, 3, 4, 5].map(() => state().connect()));
    const c = new pg.Client(url);
    await c.connect();
    const rows = (await c.query("SELECT version FROM bybit_mcp_migrations")).rows;
    await c.end();
    expect(rows).toEqual([{ version: 1 }]);
  });

  it("commits mandates as versions; the newest is read, and a commit over one in force needs replace", async () => {
    const s = state("mbroker");
    expect((await s.readMandate()).load).toMatchObject({ ok: false });
    const first = await s.commitMandate({ ...TERMS }, COMMIT);
    expect(first.status).toBe("committed");
    const again = await s.commitMandate({ ...TERMS }, COMMIT);
    expect(again).toMatchObject({ status: "refused", code: "exists" });
    const second = await s.commitMandate({ ...TERMS, hard_caps: { ...TERMS.hard_caps, max_trades_per_day: 3 } }, { ...COMMIT, replace: true });
    expect(second.status).toBe("committed");
    const read = await s.readMandate();
    expect(read.version).toBe(2);
    expect(read.load.ok && read.load.mandate.hard_caps.max_trades_per_day).toBe(3);
    // The listener learnt the new sha from the insert's NOTIFY.
    await sleep(50);
    expect(s.currentMandateSha()).toBe(read.sha256);
    // Both commits are in the ledger.
    expect((await s.tail(10, "mandate_committed")).length).toBe(2);
  });

  it("a mandate row changed behind our back no longer loads", async () => {
    const s = state("tamper");
    await s.commitMandate({ ...TERMS }, COMMIT);
    const c = new pg.Client(url);
    await c.connect();
    await c.query(`UPDATE bybit_mcp_mandates SET body = replace(body, '"max_trades_per_day": 10', '"max_trades_per_day": 1000') WHERE broker = 'tamper'`);
    await c.end();
    const read = await s.readMandate();
    expect(read.load.ok).toBe(false);
    expect(!read.load.ok && read.load.reason).toMatch(/does not match its sha256/);
  });

  it("counts per broker and UTC day, and gives back without going below zero", async () => {
    const s = state("cbroker");
    const now = Date.parse("2026-12-03T10:00:00Z");
    expect(await s.readTrades(now)).toBe(0);
    expect(await s.incrementTrades(now, 3)).toBe(3);
    expect(await s.releaseTrades(now, 1)).toBe(2);
    expect(await s.releaseTrades(now, 10)).toBe(0);
    expect(await s.readTrades(now + 86_400_000)).toBe(0);
  });

  it("chains the ledger across two writers; the export verifies with our verifier and with python3 as ledger.py does", async () => {
    const a = state("lbroker");
    const b = state("lbroker");
    const input = (i: number) => ({ kind: "order_placed" as const, session_id: "s", intent_normalized: `buy ${i} with CANARY-SECRET-123`, mandate_snapshot_ref: null, consent_record_ref: "", broker_request: { n: 1.5 }, broker_response: null, outcome: "accepted" as const, gate_decision: null, server: "lbroker", remote_tool: "bybit_place_order", error: null });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append([input(i), input(i + 100)])));
    expect(await a.verify()).toEqual({ ok: true, records: 40 });
    const dir = join(root, "export");
    expect(await a.exportLedger(dir)).toBe(40);
    const audit = readFileSync(join(dir, "audit.jsonl"), "utf8");
    expect(audit.trim().split("\n")).toHaveLength(40);
    expect(audit).not.toContain("CANARY-SECRET-123");
    expect(verifyChainFiles(join(dir, "audit_chain.jsonl")).ok).toBe(true);
    const py = pyRun(PY_VERIFY_CHAIN, [join(dir, "audit_chain.jsonl")]);
    expect(py.status, py.stderr).toBe(0);
    // The table refuses edits: the chain cannot be rewritten in place.
    const c = new pg.Client(url);
    await c.connect();
    await expect(c.query("UPDATE bybit_mcp_ledger SET kind = 'x' WHERE broker = 'lbroker'")).rejects.toThrow(/append-only/);
    await expect(c.query("DELETE FROM bybit_mcp_ledger WHERE broker = 'lbroker'")).rejects.toThrow(/append-only/);
    await c.end();
  });

  it("an approval is consumed once when two hosts race for it", async () => {
    const a = state("abroker").approvals();
    const b = state("abroker").approvals();
    const r = await a.create({
      decision_id: "dec_1",
      intent_normalized: "buy $1,500 BTCUSDT (linear)",
      reason: "over the cap",
      order: { tool: "place_order", remote_tool: "bybit_place_order", body: { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.03" } },
      breaches: [{ limit: "max_order_notional_usd", kind: "quantitative", limit_value: 1000, attempted_value: 1500, detail: "x" }],
      price_tolerance_pct: "1",
    });
    await expect(b.consume(r.id, "dec_2")).rejects.toThrow(/not been approved/);
    await b.decide(r.id, "approved", "cli");
    const results = await Promise.allSettled([a.consume(r.id, "dec_a"), b.consume(r.id, "dec_b"), a.consume(r.id, "dec_c")]);
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    expect((await a.get(r.id))?.status).toBe("consumed");
    expect((await b.list({ status: "consumed" })).map((x) => x.id)).toEqual([r.id]);
  });

  it("the order lock excludes a second host until the first commits, and times out as a lock refusal", async () => {
    const a = state("kbroker");
    const b = state("kbroker");
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = a.runLocked(5000, async () => {
      order.push("a in");
      await held;
      order.push("a out");
    });
    await sleep(100);
    await expect(b.runLocked(200, async () => order.push("b early"))).rejects.toThrow(/another order is being submitted for broker kbroker/);
    const second = b.runLocked(5000, async () => order.push("b in"));
    await sleep(100);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["a in", "a out", "b in"]);
  });

  it("a HALT from one host reaches another's last check within 100 ms, and its clearing too", async () => {
    const a = state("hbroker");
    const b = state("hbroker");
    await Promise.all([a.connect(), b.connect()]);
    expect(isHalted(b.currentHalt())).toBe(false);
    const t0 = performance.now();
    await a.tripHalt("broker", "cli", "stop now");
    while (!isHalted(b.currentHalt()) && performance.now() - t0 < 1000) await sleep(1);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(b.currentHalt()).toMatchObject({ broker: true, detail: { reason: "stop now", by: "cli", scope: "broker" } });
    expect(await b.readHalt()).toMatchObject({ broker: true });
    // A global halt from a host of another broker stops this one too.
    await state("other").tripHalt("global", "cli", "all");
    await a.clearHalt("broker");
    await sleep(50);
    expect(b.currentHalt()).toMatchObject({ global: true, broker: false });
    await a.clearHalt("global");
    await sleep(50);
    expect(isHalted(b.currentHalt())).toBe(false);
  });

  it("with a runtime root on this host it also takes the local flock and honours the local HALT file (mixed set-ups fail safe)", async () => {
    const paths = runtimePaths(root, "fbroker");
    const s = state("fbroker", { paths, runtimeRoot: root });
    let release!: () => void;
    const held = withOrderLock(paths, { timeoutMs: 1000 }, () => new Promise<void>((r) => (release = r)));
    await sleep(50);
    await expect(s.runLocked(200, async () => "ran")).rejects.toThrow(/another order is being submitted for broker fbroker/);
    release();
    await held;
    expect(await s.runLocked(200, async () => "ran")).toBe("ran");
    await s.connect();
    expect(isHalted(s.currentHalt())).toBe(false);
    tripHalt(paths, { scope: "broker", by: "file", reason: "vibe-trading stop" });
    expect(s.currentHalt()).toMatchObject({ broker: true });
    expect(await s.readHalt()).toMatchObject({ broker: true });
  });

  it("a database that cannot be reached: every call rejects with one sentence naming it, without the password", async () => {
    const bad = "postgres://bybit:PASSWORD-CANARY@127.0.0.1:1/nowhere";
    const s = new PgState({ url: bad, safeUrl: "postgres://bybit:***@127.0.0.1:1/nowhere", broker: "bybit", paths: runtimePaths(root, "bybit"), runtimeRoot: join(root, "absent"), extraSecrets: [] });
    open.push(s);
    const err = await s.readTrades(Date.now()).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/^the shared state database postgres:\/\/bybit:\*\*\*@127\.0\.0\.1:1\/nowhere cannot be reached/);
    expect(String((err as Error).message)).not.toContain("PASSWORD-CANARY");
    await expect(s.runLocked(500, async () => 1)).rejects.toThrow(/cannot be reached.*so no order was sent/);
    expect(isHalted(s.currentHalt())).toBe(true);
  });
});
