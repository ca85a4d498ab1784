/**
 * The holes around the decision (issue 7), end to end: built server over
 * stdio, real HTTP to the simulator, state files on disk.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BybitClient } from "../../src/bybit/client.js";
import { startSim, type Sim } from "../../src/sim/index.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
let mcp: McpHandle;

const BUY_500 = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" };
const env = () => ({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "2" });

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate({ universe: { exclude_symbols: ["DOGEUSDT"] } });
  mcp = await connect(env());
});
afterEach(async () => {
  await mcp.close();
  rt.cleanup();
  await sim.close();
});

const sc = (r: { structuredContent?: Record<string, unknown> }) => r.structuredContent as Record<string, any>;
const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");
const counter = () => (existsSync(join(rt.broker, "trade_counter.json")) ? JSON.parse(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).count : 0);
const ledger = () =>
  existsSync(join(rt.live, "audit.jsonl"))
    ? readFileSync(join(rt.live, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>)
    : [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a mandate changed while the exchange is being read", () => {
  it("tightened mid-flight: the order is decided on the new caps and not sent", async () => {
    sim.faults.set({ latencyMs: 600 });
    const pending = mcp.call("bybit_place_order", BUY_500);
    await sleep(200);
    rt.writeMandate({ hard_caps: { max_order_notional_usd: 100 } });
    const res = await pending;
    expect(sc(res)).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(sc(res).reason).toMatch(/max_order_notional_usd \$100/);
    expect(creates()).toHaveLength(0);
  });

  it("deleted mid-flight: denied, nothing sent", async () => {
    sim.faults.set({ latencyMs: 600 });
    const pending = mcp.call("bybit_place_order", BUY_500);
    await sleep(200);
    rmSync(join(rt.broker, "mandate.json"));
    expect(sc(await pending)).toMatchObject({ status: "blocked", decision: "deny" });
    expect(creates()).toHaveLength(0);
  });

  it("re-assigned to another broker mid-flight: denied, nothing sent", async () => {
    sim.faults.set({ latencyMs: 600 });
    const pending = mcp.call("bybit_place_order", BUY_500);
    await sleep(200);
    rt.writeMandate({ consent: { broker: "alpaca" } });
    expect(sc(await pending)).toMatchObject({ status: "blocked", decision: "deny" });
    expect(creates()).toHaveLength(0);
  });
});

describe("counts and lookups", () => {
  it("lost answers against a cap of 3: at most 3 forwarded, each unknown keeps its count", async () => {
    rt.writeMandate({ hard_caps: { max_trades_per_day: 3 } });
    sim.faults.set({ next: [{ fault: "drop_before_process", path: "/v5/order/create", count: 10 }] });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(sc(await mcp.call("bybit_place_order", { ...BUY_500, order_link_id: `lost-${i}` })));
    expect(results.map((r) => r.status)).toEqual(["unknown", "unknown", "unknown", "blocked", "blocked", "blocked"]);
    expect(creates()).toHaveLength(3);
    expect(counter()).toBe(3);
  });

  it("a reused orderLinkId is refused before sending, with a clear error", async () => {
    expect(sc(await mcp.call("bybit_place_order", { ...BUY_500, order_link_id: "dup-1" })).status).toBe("accepted");
    const again = sc(await mcp.call("bybit_place_order", { ...BUY_500, order_link_id: "dup-1" }));
    expect(again).toMatchObject({ status: "blocked", decision: "deny", refused_step: "order_link_id" });
    expect(again.reason).toMatch(/order_link_id "dup-1" was already used today/);
    expect(creates()).toHaveLength(1);
    expect(counter()).toBe(1);
    expect(ledger().map((r) => [r.kind, r.outcome])).toEqual([["order_placed", "accepted"], ["order_rejected", "blocked"]]);
  });

  it("an order with the same orderLinkId but other terms does not count as ours: unknown, not accepted", async () => {
    // Another program's order, already resting with the id the agent is about to use.
    const other = new BybitClient({ baseUrl: sim.url, apiKey: sim.apiKey, apiSecret: sim.apiSecret, recvWindow: 5000, timeoutMs: 2000 });
    await other.post("/v5/order/create", { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", qty: "0.02", price: "40000", orderLinkId: "taken-1" });
    await other.close();
    sim.faults.set({ next: [{ fault: "drop_before_process", path: "/v5/order/create" }] });
    const res = sc(await mcp.call("bybit_place_order", { ...BUY_500, order_link_id: "taken-1" }));
    expect(res.status).toBe("unknown");
    expect(res.detail).toMatch(/not the one sent \(qty 0\.02\)/);
    expect(ledger().at(-1)).toMatchObject({ kind: "order_rejected", outcome: "error", status: "unknown" });
  });
});

describe("universe and risk", () => {
  it("set_leverage and set_trading_stop are denied for an excluded symbol", async () => {
    expect(sc(await mcp.call("bybit_set_leverage", { category: "linear", symbol: "DOGEUSDT", leverage: "1" }))).toMatchObject({ status: "blocked", decision: "deny" });
    expect(sc(await mcp.call("bybit_set_trading_stop", { category: "linear", symbol: "DOGEUSDT", position_idx: 0, stop_loss: "0.1" }))).toMatchObject({ status: "blocked", decision: "deny" });
    expect(sim.requests().filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("cancel_all during a halt keeps the reduce-only stop; a single cancel of it is denied", async () => {
    rt.writeMandate({ hard_caps: { max_order_notional_usd: 5000 } });
    expect(sc(await mcp.call("bybit_place_order", BUY_500)).status).toBe("accepted");
    const stop = sc(await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Sell", order_type: "Limit", qty: "0.01", price: "51000", reduce_only: true, order_link_id: "tp-1" }));
    expect(stop.status).toBe("accepted");
    expect(sc(await mcp.call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "48000", order_link_id: "entry-1" })).status).toBe("accepted");
    writeFileSync(join(rt.broker, "HALT"), "");
    const all = sc(await mcp.call("bybit_cancel_all_orders", { category: "linear", symbol: "BTCUSDT" }));
    expect(all.status).toBe("accepted");
    const byLink = (id: string) => sim.state().orders.find((o) => o.orderLinkId === id);
    expect(byLink("entry-1")?.orderStatus).toBe("Cancelled");
    expect(byLink("tp-1")?.orderStatus).toBe("New");
    expect(all.broker_response.kept_protective.map((k: { orderLinkId: string }) => k.orderLinkId)).toEqual(["tp-1"]);
    expect(sim.requests().some((r) => r.path === "/v5/order/cancel-all")).toBe(false);
    const single = sc(await mcp.call("bybit_cancel_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "tp-1" }));
    expect(single).toMatchObject({ status: "blocked", decision: "deny" });
    expect(byLink("tp-1")?.orderStatus).toBe("New");
  });

  it("price band on the aggressive side only: a dip bid rests, a buy far above the market is denied", async () => {
    const dip = sc(await mcp.call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "45000" }));
    expect(dip.status).toBe("accepted");
    const offer = sc(await mcp.call("bybit_place_order", { ...BUY_500, side: "Sell", order_type: "Limit", price: "56000" }));
    expect(offer.status).toBe("accepted");
    const chase = sc(await mcp.call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "55000" }));
    expect(chase).toMatchObject({ status: "blocked", decision: "deny" });
    expect(chase.reason).toMatch(/above the reference/);
  });

  it("a shutdown during the reads records 'not sent', and nothing is sent", async () => {
    sim.faults.set({ latencyMs: 800 });
    const pending = mcp.call("bybit_place_order", BUY_500).catch(() => null);
    await sleep(200);
    await mcp.close();
    await pending;
    // The server records the outcome before it exits.
    for (let i = 0; i < 50 && ledger().length === 0; i++) await sleep(100);
    expect(creates()).toHaveLength(0);
    expect(ledger()).toHaveLength(1);
    expect(ledger()[0]).toMatchObject({ kind: "order_rejected", outcome: "blocked", refused_step: "shutdown" });
    expect(ledger()[0]!.error).toMatch(/not sent/);
    expect(counter()).toBe(0);
    mcp = await connect(env());
  });
});

describe("state files that are not regular files", () => {
  for (const [name, where] of [
    ["mandate.json", () => join(rt.broker, "mandate.json")],
    ["HALT", () => join(rt.broker, "HALT")],
    ["trade_counter.json", () => join(rt.broker, "trade_counter.json")],
    ["inflight.jsonl", () => join(rt.broker, "inflight.jsonl")],
  ] as const) {
    it(`a FIFO at ${name}: the order is refused at once, nothing is sent, read tools still answer`, async () => {
      const file = where();
      rmSync(file, { force: true });
      expect(spawnSync("mkfifo", [file]).status).toBe(0);
      const started = Date.now();
      const res = sc(await mcp.call("bybit_place_order", BUY_500));
      // A counter that cannot be read pauses (the count is a quantitative check); the rest deny.
      expect(res.status).toBe("blocked");
      expect(res.reason).toMatch(/FIFO|not a regular file|halted|journal/);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(creates()).toHaveLength(0);
      const tickers = sc(await mcp.call("bybit_get_tickers", { category: "linear", symbol: "BTCUSDT" }));
      expect(tickers.list[0].symbol).toBe("BTCUSDT");
      rmSync(file);
    });
  }

  it("a symlink to /dev/zero at the counter is refused, not read for ever", async () => {
    spawnSync("ln", ["-s", "/dev/zero", join(rt.broker, "trade_counter.json")]);
    const res = sc(await mcp.call("bybit_place_order", BUY_500));
    expect(res.status).toBe("blocked");
    expect(res.reason).toMatch(/character device|not a regular file/);
  });

  it("a mandate writable by group or others is refused, naming the mode and chmod 600", async () => {
    chmodSync(join(rt.broker, "mandate.json"), 0o664);
    const res = sc(await mcp.call("bybit_place_order", BUY_500));
    expect(res).toMatchObject({ status: "blocked", decision: "deny" });
    expect(res.reason).toMatch(/664/);
    expect(res.reason).toMatch(/chmod 600/);
    expect(creates()).toHaveLength(0);
  });
});

describe("HALT tripped while another process holds the ledger's chain lock", () => {
  it("bybit-mcp halt during the reads stops the order: nothing is sent", async () => {
    // A Vibe-Trading-like appender holds the chain flock for 2 s.
    const holder = spawn("python3", ["-c", `import fcntl,sys,time\nf=open(sys.argv[1],"a")\nfcntl.flock(f,fcntl.LOCK_EX)\nprint("held",flush=True)\ntime.sleep(2)`, join(rt.live, "audit_chain.jsonl")]);
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    sim.faults.set({ latencyMs: 400 });
    const pending = mcp.call("bybit_place_order", BUY_500);
    await sleep(100);
    writeFileSync(join(rt.broker, "HALT"), JSON.stringify({ tripped_at: new Date().toISOString(), by: "cli", reason: "test" }));
    const res = sc(await pending);
    expect(res.status).toBe("blocked");
    expect(creates()).toHaveLength(0);
    holder.kill();
  });
});

