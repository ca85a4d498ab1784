/**
 * The kill switch CLI against the simulator, and files written the way
 * Vibe-Trading writes them, read by the built server.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { CLI, connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
let mcp: McpHandle | undefined;
let env: Record<string, string>;

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  env = { BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root };
});
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  await sim.close();
  rt.cleanup();
});

/** Run the built CLI without blocking this process: the simulator lives here and must keep answering. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (status) => resolve({ status, stdout, stderr })));
}
const ledgerKinds = () =>
  readFileSync(join(rt.live, "audit.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { kind: string; outcome: string }));

describe("bybit-mcp halt / unhalt", () => {
  it("with flatten_on_halt: cancels resting orders, closes positions reduce-only, audits each, and blocks new orders", async () => {
    rt.writeMandate({ flatten_on_halt: true });
    mcp = await connect(env);
    const buy = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" };
    expect((await mcp.call("bybit_place_order", buy)).structuredContent?.status).toBe("accepted");
    expect((await mcp.call("bybit_place_order", { ...buy, order_type: "Limit", price: "49000", order_link_id: "resting-1" })).structuredContent?.status).toBe("accepted");

    const r = await cli(["halt", "--reason", "test flatten"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const state = sim.state();
    expect(state.orders.find((o) => o.orderLinkId === "resting-1")?.orderStatus).toBe("Cancelled");
    expect(state.positions.filter((p) => Number(p.size) > 0)).toHaveLength(0);
    const closes = sim.requests().filter((q) => q.path === "/v5/order/create" && (q.body as { reduceOnly?: boolean }).reduceOnly === true);
    expect(closes).toHaveLength(1);
    expect(closes[0]!.body).toMatchObject({ side: "Sell", qty: "0.01", orderType: "Market" });
    const kinds = ledgerKinds().map((x) => x.kind);
    expect(kinds).toEqual(expect.arrayContaining(["halt_tripped", "order_cancelled"]));
    expect(kinds.filter((k) => k === "order_placed").length).toBeGreaterThanOrEqual(3);

    const halted = await mcp.call("bybit_place_order", buy);
    expect(halted.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect((await cli(["unhalt"])).status).toBe(0);
    expect((await mcp.call("bybit_place_order", buy)).structuredContent?.status).toBe("accepted");
    expect(ledgerKinds().some((x) => x.kind === "halt_cleared")).toBe(true);
    expect((await cli(["audit", "verify"])).status).toBe(0);
  });

  it("without flatten_on_halt: cancels resting orders but leaves positions", async () => {
    rt.writeMandate();
    mcp = await connect(env);
    await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" });
    await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Limit", qty: "0.01", price: "49000", order_link_id: "keep-1" });
    expect((await cli(["halt", "--reason", "no flatten"])).status).toBe(0);
    expect(sim.state().orders.find((o) => o.orderLinkId === "keep-1")?.orderStatus).toBe("Cancelled");
    expect(sim.state().positions.find((p) => p.symbol === "BTCUSDT")?.size).toBe("0.01");
    const body = JSON.parse(readFileSync(join(rt.broker, "HALT"), "utf8")) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["tripped_at", "by", "reason"]);
    expect(body).toMatchObject({ by: "cli", reason: "no flatten" });
  });
});

describe("halt with an unwritable ledger", () => {
  it("halt still trips and cancels (exit 1, saying what was not audited); unhalt refuses and trading stays halted", async () => {
    rt.writeMandate();
    mcp = await connect(env);
    await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Limit", qty: "0.01", price: "49000", order_link_id: "still-cancel-1" });
    rmSync(join(rt.live, "audit.jsonl"));
    mkdirSync(join(rt.live, "audit.jsonl"));
    const halted = await cli(["halt", "--reason", "ledger broken"]);
    expect(halted.status).toBe(1);
    expect(halted.stderr).toMatch(/could not audit/);
    expect(sim.state().orders.find((o) => o.orderLinkId === "still-cancel-1")?.orderStatus).toBe("Cancelled");
    const un = await cli(["unhalt"]);
    expect(un.status).toBe(1);
    expect(un.stderr).toMatch(/stays on/);
    expect(existsSync(join(rt.broker, "HALT"))).toBe(true);
  });
});

describe("files written by Vibe-Trading", () => {
  it("a mandate with Python floats, microsecond Z timestamps and empty account_ref loads; its counter is honoured", async () => {
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1123Z");
    writeFileSync(
      join(rt.broker, "mandate.json"),
      `{"schema_version": 1, "mandate_id": "m_2f1c", "hard_caps": {"account_funding_usd": 10000.0, "max_order_notional_usd": 1000.0, ` +
        `"max_total_exposure_usd": 5000.0, "max_leverage": 1.0, "allowed_instruments": ["crypto", "equity"], "max_trades_per_day": 3}, ` +
        `"universe": {"asset_classes": ["crypto", "us_equity"], "min_market_cap_usd": null, "min_avg_daily_volume_usd": null, "exclude_symbols": []}, ` +
        `"consent": {"created_at": "${iso(now - 3600_000)}", "consent_token_sha256": "${"ab".repeat(32)}", "broker": "bybit", "account_ref": "", ` +
        `"expires_at": "${iso(now + 30 * 86_400_000)}"}, "flatten_on_halt": false}`,
    );
    const today = new Date(now).toISOString().slice(0, 10);
    writeFileSync(join(rt.broker, "trade_counter.json"), `{"date": "${today}", "count": 2}`);
    mcp = await connect(env);
    const status = (await mcp.call("bybit_get_mandate_status", {})).structuredContent as Record<string, any>;
    expect(status.mandate.loaded).toBe(true);
    // The simulator says what it is: paper, never mistaken for mainnet.
    expect(status.environment).toBe("simulator");
    expect(status.trades).toMatchObject({ used_today: 2, max_per_day: 3, left_today: 1 });
    const buy = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" };
    expect((await mcp.call("bybit_place_order", buy)).structuredContent?.status).toBe("accepted");
    expect(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).toBe(`{"date": "${today}", "count": 3}`);
    const third = await mcp.call("bybit_place_order", buy);
    expect(third.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth", breach: { limit: "max_trades_per_day" } });
  });

  it("a HALT file in Vibe-Trading's format (global) halts orders", async () => {
    rt.writeMandate();
    writeFileSync(join(rt.live, "HALT"), '{"tripped_at": "2026-11-23T10:00:00.000000+00:00", "by": "frontend", "reason": "user clicked stop"}');
    mcp = await connect(env);
    const res = await mcp.call("bybit_place_order", { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" });
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    const status = (await mcp.call("bybit_get_mandate_status", {})).structuredContent as Record<string, any>;
    expect(status.halt).toMatchObject({ halted: true, global: true });
  });
});
