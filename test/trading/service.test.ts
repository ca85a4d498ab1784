/**
 * The write path in-process against the simulator over real HTTP: the lock
 * bound, an invalid rule set, and batches of concurrent orders.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { normalizePlace } from "../../src/trading/normalize.js";
import type { TradingOptions } from "../../src/trading/service.js";
import { tradingRig } from "../helpers/trading.js";

const rig = tradingRig();
let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill();
  holder = undefined;
});
const service = (env: Record<string, string> = {}, opts: TradingOptions = {}) => rig.service(env, opts);
const order = (qty = "0.01") => normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty });
const creates = () => rig.sim().requests().filter((r) => r.path === "/v5/order/create").length;

describe("TradingService", () => {
  it("denies with the lock's reason when Vibe-Trading holds the order lock past the bound", async () => {
    const lock = join(rig.rt().broker, ".order_submit.lock");
    holder = spawn("python3", ["-c", `import fcntl,sys,time\nf=open(sys.argv[1],"a")\nfcntl.flock(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nprint("held",flush=True)\ntime.sleep(30)`, lock]);
    await new Promise<void>((resolve) => holder!.stdout!.once("data", () => resolve()));
    const res = await service({}, { lockTimeoutMs: 300 }).execute(order(), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect(String(res.structuredContent?.reason)).toMatch(/another order is being submitted/);
    expect(creates()).toBe(0);
  });

  it("with an invalid rule set: every write is denied with the lint error, and the status says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bad-rules-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "ruleset.yaml"), "version: [not, a, version\n");
    const svc = service({ BYBIT_MCP_RULES: dir });
    const res = await svc.execute(order(), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect(String(res.structuredContent?.reason)).toMatch(/rule/i);
    expect(creates()).toBe(0);
    const status = await svc.status();
    expect(status.rules).toMatchObject({ valid: false });
    expect(status.summary).toMatch(/Rules invalid/);
  });

  it("a burst of concurrent orders is decided in batches, exactly up to the daily cap", async () => {
    rig.rt().writeMandate({ hard_caps: { max_trades_per_day: 7 } });
    const svc = service();
    const results = await Promise.all(Array.from({ length: 25 }, () => svc.execute(order("0.001"), "bybit_place_order")));
    const statuses = results.map((r) => (r.structuredContent as { status: string }).status);
    expect(statuses.filter((s) => s === "accepted")).toHaveLength(7);
    expect(statuses.filter((s) => s === "blocked")).toHaveLength(18);
    expect(creates()).toBe(7);
    // Decided in batches: the first call alone, the 24 queued behind it together (one ticker read each).
    expect(rig.sim().requests().filter((r) => r.path === "/v5/market/tickers").length).toBeLessThanOrEqual(3);
  });

  it("a batch never lets through more exposure than orders one at a time would", async () => {
    rig.rt().writeMandate({ hard_caps: { max_total_exposure_usd: 2000 } });
    const svc = service();
    // $500 each: four fit under $2,000, the fifth would make $2,500.
    const results = await Promise.all(Array.from({ length: 10 }, () => svc.execute(order("0.01"), "bybit_place_order")));
    expect(results.filter((r) => (r.structuredContent as { status: string }).status === "accepted")).toHaveLength(4);
    expect(rig.sim().state().positions.find((p) => p.symbol === "BTCUSDT")?.size).toBe("0.04");
  });

  it("an order that would reduce exposure makes no room for the rest of its batch (it may yet be refused)", async () => {
    rig.rt().writeMandate({ hard_caps: { max_total_exposure_usd: 2000, max_order_notional_usd: 5000 } });
    rig.sim().setMarkPrice("linear", "ETHUSDT", "2500");
    const svc = service();
    expect((await svc.execute(order("0.04"), "bybit_place_order")).structuredContent?.status).toBe("accepted"); // long $2,000
    rig.sim().faults.set({ next: [{ fault: "ret10006", path: "/v5/order/create" }] });
    // The first call runs alone; the next two queue behind it and are decided as one batch.
    const blocker = svc.execute(normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "1" }), "bybit_place_order");
    const sell = svc.execute(normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Sell", order_type: "Market", qty: "0.02" }), "bybit_place_order");
    const eth = svc.execute(normalizePlace({ category: "linear", symbol: "ETHUSDT", side: "Buy", order_type: "Market", qty: "0.4" }), "bybit_place_order");
    const [, s, e] = await Promise.all([blocker, sell, eth]);
    expect(s.structuredContent).toMatchObject({ status: "rejected", ret_code: 10006 });
    expect(e.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(rig.sim().state().positions.find((p) => p.symbol === "ETHUSDT")).toBeUndefined();
  });
});
