/**
 * The gated write tools end to end: built server over stdio, real HTTP to
 * the simulator, state files on disk as Vibe-Trading reads them.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { startSim, type Sim } from "../../src/sim/index.js";
import { packageRoot } from "../../src/util/package-root.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const SECRET = `canary${randomBytes(16).toString("hex")}`;
let sim: Sim;
let rt: Runtime;
let mcp: McpHandle;
const transcript: string[] = [];

const BUY_500 = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" };

beforeEach(async () => {
  // A fresh exchange per test, so positions from one test never eat another's exposure headroom.
  sim = await startSim({ apiSecret: SECRET, markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  sim.setMarkPrice("linear", "ETHUSDT", "2500");
  rt = tempRuntime();
  rt.writeMandate({ universe: { exclude_symbols: ["DOGEUSDT"] } });
  mcp = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: SECRET, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "2" });
});
afterEach(async () => {
  await mcp.close();
  transcript.push(mcp.stderr());
  for (const f of ["audit.jsonl", "audit_chain.jsonl"]) if (existsSync(join(rt.live, f)) && statSync(join(rt.live, f)).isFile()) transcript.push(readFileSync(join(rt.live, f), "utf8"));
  rt.cleanup();
  await sim.close();
});
afterAll(() => {
  expect(transcript.join("\n")).not.toContain(SECRET);
});

/** schemas/audit-record.schema.json, compiled: every record the write path writes must match it. */
function auditSchema() {
  const ajv = new Ajv({ strict: false });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  return ajv.compile(JSON.parse(readFileSync(join(packageRoot(), "schemas", "audit-record.schema.json"), "utf8")) as object);
}

async function call(name: string, args: Record<string, unknown>) {
  const res = await mcp.call(name, args);
  transcript.push(JSON.stringify(res));
  return res;
}
const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");
const counter = () => (existsSync(join(rt.broker, "trade_counter.json")) ? JSON.parse(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).count : 0);
const ledger = () =>
  existsSync(join(rt.live, "audit.jsonl"))
    ? readFileSync(join(rt.live, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe("allowed writes land in the simulator", () => {
  it("place_order: accepted, filled, counted once, one ledger record written once the outcome is known", async () => {
    const res = await call("bybit_place_order", BUY_500);
    const sc = res.structuredContent as Record<string, any>;
    expect(res.isError).toBeFalsy();
    expect(sc.status).toBe("accepted");
    expect(sc.environment).toBe("simulator");
    expect(sc.broker_response.orderId).toBeTruthy();
    expect(sc.broker_response.orderLinkId).toMatch(/^[A-Za-z0-9_-]{1,36}$/);
    const order = sim.state().orders.find((o) => o.orderLinkId === sc.broker_response.orderLinkId);
    expect(order?.orderStatus).toBe("Filled");
    expect(creates()).toHaveLength(1);
    expect((creates()[0]!.body as Record<string, unknown>).qty).toBe("0.01");
    expect(counter()).toBe(1);
    const recs = ledger();
    expect(recs.map((r) => [r.kind, r.outcome])).toEqual([["order_placed", "accepted"]]);
    const rec = recs[0]!;
    expect(rec.server).toBe("bybit");
    expect(rec.gate_decision).toMatchObject({ allowed: true, decision: "allow" });
    expect((rec.gate_decision as { checked_limits: string[] }).checked_limits.slice(0, 3)).toEqual(["mandate", "expiry", "halt_flag"]);
    expect(rec.order_link_id).toBe(sc.broker_response.orderLinkId);
    // Our keys after Vibe-Trading's: the decision id, the rules revision, the facts.
    expect(Object.keys(rec).slice(14, 18)).toEqual(["decision_id", "rules_revision", "order_link_id", "explanation"]);
    expect(rec.decision_id).toMatch(/^dec_[0-9a-f]{24}$/);
    expect(rec.rules_revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((rec.facts as { exposure: { post_trade_gross_usd_exact: string } }).exposure.post_trade_gross_usd_exact).toBe("500");
    expect(Object.keys(rec).slice(0, 14)).toEqual([
      "audit_id", "ts", "session_id", "kind", "intent_normalized", "mandate_snapshot_ref", "consent_record_ref",
      "broker_request", "broker_response", "outcome", "gate_decision", "server", "remote_tool", "error",
    ]);
    expect(sc.audit_id).toBe(rec.audit_id);
    // The journal entry was written before the send and closed by the outcome.
    const journal = readFileSync(join(rt.broker, "inflight.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(journal.map((l) => l.op)).toEqual(["open", "close"]);
    expect(journal[0]).toMatchObject({ decision_id: rec.decision_id, order_link_id: rec.order_link_id, path: "/v5/order/create" });
    expect(journal[1]).toMatchObject({ decision_id: rec.decision_id, outcome: "accepted", audit_id: rec.audit_id });
    const validate = auditSchema();
    for (const r of recs) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  });

  it("limit order rests; amend within caps and cancel both land; cancel_all clears the rest", async () => {
    const placed = await call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "48000", order_link_id: "rest-1" });
    expect(placed.structuredContent?.status).toBe("accepted");
    const amended = await call("bybit_amend_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "rest-1", price: "49000" });
    expect(amended.structuredContent?.status).toBe("accepted");
    expect(sim.state().orders.find((o) => o.orderLinkId === "rest-1")?.price).toBe("49000");
    const cancelled = await call("bybit_cancel_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "rest-1" });
    expect(cancelled.structuredContent?.status).toBe("accepted");
    expect(sim.state().orders.find((o) => o.orderLinkId === "rest-1")?.orderStatus).toBe("Cancelled");
    await call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "48000", order_link_id: "rest-2" });
    const all = await call("bybit_cancel_all_orders", { category: "linear", symbol: "BTCUSDT" });
    expect(all.structuredContent?.status).toBe("accepted");
    expect(sim.state().orders.find((o) => o.orderLinkId === "rest-2")?.orderStatus).toBe("Cancelled");
    expect(ledger().some((r) => r.kind === "order_cancelled" && r.outcome === "accepted")).toBe(true);
  });

  it("set_leverage within max_leverage and set_trading_stop on a position land", async () => {
    const lev = await call("bybit_set_leverage", { category: "linear", symbol: "ETHUSDT", leverage: 1 });
    expect(lev.structuredContent?.status).toBe("accepted");
    await call("bybit_place_order", { category: "linear", symbol: "ETHUSDT", side: "Buy", order_type: "Market", qty: "0.1" });
    const stop = await call("bybit_set_trading_stop", { category: "linear", symbol: "ETHUSDT", position_idx: 0, stop_loss: "2000" });
    expect(stop.structuredContent?.status).toBe("accepted");
    expect(sim.state().positions.find((p) => p.symbol === "ETHUSDT")?.stopLoss).toBe("2000");
  });
});

describe("refusals forward nothing", () => {
  it("over max_order_notional_usd → pause_for_reauth with a readable reason and breach", async () => {
    const res = await call("bybit_place_order", { ...BUY_500, qty: "0.03" });
    const sc = res.structuredContent as Record<string, any>;
    expect(res.isError).toBeFalsy();
    expect(sc.status).toBe("blocked");
    expect(sc.decision).toBe("pause_for_reauth");
    expect(sc.requires_reauthorization).toBe(true);
    expect(sc.reason).toContain("$1,500.00");
    expect(sc.reason).toContain("$1,000.00");
    expect(sc.breach).toMatchObject({ limit: "max_order_notional_usd", proposed_action: { symbol: "BTCUSDT", side: "buy" } });
    expect(sc.live_action.kind).toBe("breach");
    expect(sc.live_action.outcome).toBe("blocked");
    expect(creates()).toHaveLength(0);
    expect(counter()).toBe(0);
  });

  it("spot holdings count as exposure: $1,000 spot buys stop at the $5,000 cap", async () => {
    sim.setMarkPrice("spot", "BTCUSDT", "50000");
    const buy = { category: "spot", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "990" };
    const statuses: string[] = [];
    for (let i = 0; i < 6; i++) statuses.push(String((await call("bybit_place_order", buy)).structuredContent?.status));
    expect(statuses).toEqual(["accepted", "accepted", "accepted", "accepted", "accepted", "blocked"]);
    const last = (await call("bybit_check_order", buy)).structuredContent as Record<string, any>;
    expect(last.breach.limit).toBe("max_total_exposure_usd");
    // Selling some of the coin frees headroom again.
    const sell = await call("bybit_place_order", { category: "spot", symbol: "BTCUSDT", side: "Sell", order_type: "Market", qty: "0.02" });
    expect(sell.structuredContent?.status).toBe("accepted");
    expect((await call("bybit_check_order", buy)).structuredContent?.decision).toBe("allow");
  });

  it("excluded symbol → deny", async () => {
    const res = await call("bybit_place_order", { ...BUY_500, symbol: "DOGEUSDT", qty: "100" });
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny", requires_reauthorization: false });
    expect(creates()).toHaveLength(0);
  });

  it("larger-of: a small qty with a large declared notional_usd is paused", async () => {
    const res = await call("bybit_place_order", { ...BUY_500, notional_usd: 2500 });
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(creates()).toHaveLength(0);
  });

  it("larger-of on amend: new qty x live price over the cap is paused, the order unchanged", async () => {
    await call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "48000", order_link_id: "amend-big" });
    sim.clearRequests();
    const res = await call("bybit_amend_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "amend-big", qty: "0.05" });
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(sim.requests().filter((r) => r.path === "/v5/order/amend")).toHaveLength(0);
    expect(sim.state().orders.find((o) => o.orderLinkId === "amend-big")?.qty).toBe("0.01");
  });

  it("set_leverage above max_leverage → deny", async () => {
    const res = await call("bybit_set_leverage", { category: "linear", symbol: "BTCUSDT", leverage: "5" });
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect(sim.requests().filter((r) => r.path === "/v5/position/set-leverage")).toHaveLength(0);
  });

  it("halt blocks place and amend, but cancel passes and is audited", async () => {
    await call("bybit_place_order", { ...BUY_500, order_type: "Limit", price: "48000", order_link_id: "halt-rest" });
    writeFileSync(join(rt.live, "HALT"), "");
    sim.clearRequests();
    const place = await call("bybit_place_order", BUY_500);
    expect(place.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    const amend = await call("bybit_amend_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "halt-rest", price: "48500" });
    expect(amend.structuredContent?.status).toBe("blocked");
    const cancel = await call("bybit_cancel_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "halt-rest" });
    expect(cancel.structuredContent?.status).toBe("accepted");
    expect(sim.requests().map((r) => r.path).filter((p) => p.startsWith("/v5/order/") && p !== "/v5/order/realtime")).toEqual(["/v5/order/cancel"]);
    expect(ledger().at(-1)).toMatchObject({ kind: "order_cancelled", outcome: "accepted", remote_tool: "bybit_cancel_order" });
  });

  it("a call the local files already refuse (halt, no mandate) reads nothing from the exchange", async () => {
    writeFileSync(join(rt.broker, "HALT"), "");
    expect((await call("bybit_place_order", BUY_500)).structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    rmSync(join(rt.broker, "HALT"));
    rmSync(join(rt.broker, "mandate.json"));
    expect((await call("bybit_place_order", BUY_500)).structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    // Only the start-up clock sync reached the exchange.
    expect(sim.requests().map((r) => r.path).filter((p) => p !== "/v5/market/time")).toEqual([]);
  });

  it("an expired mandate pauses orders but lets cancels through", async () => {
    rt.writeMandate({ consent: { created_at: "2026-01-01T00:00:00Z", expires_at: "2026-02-01T00:00:00Z" } });
    const res = await call("bybit_place_order", BUY_500);
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth", requires_reauthorization: true });
    const cancel = await call("bybit_cancel_all_orders", { category: "linear", symbol: "BTCUSDT" });
    expect(cancel.structuredContent?.status).toBe("accepted");
  });

  it("no mandate, or a corrupt counter → deny, nothing forwarded", async () => {
    rmSync(join(rt.broker, "mandate.json"));
    expect((await call("bybit_place_order", BUY_500)).structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    rt.writeMandate();
    writeFileSync(join(rt.broker, "trade_counter.json"), "{not json");
    const corrupt = await call("bybit_place_order", BUY_500);
    expect(corrupt.structuredContent).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect((corrupt.structuredContent?.live_action as { explanation: { decided_by: string } }).explanation.decided_by).toBe("trades.counter_readable");
    expect(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).toBe("{not json");
    expect(creates()).toHaveLength(0);
  });

  it("an unwritable ledger → deny and nothing forwarded", async () => {
    mkdirSync(join(rt.live, "audit.jsonl"));
    const res = await call("bybit_place_order", BUY_500);
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny" });
    expect(String(res.structuredContent?.reason)).toMatch(/audit/);
    expect(creates()).toHaveLength(0);
    expect(counter()).toBe(0);
  });
});

describe("exchange answers after an allow", () => {
  it("110007 insufficient balance → rejected, no trade counted", async () => {
    sim.setWalletBalance("USDT", "1");
    const res = await call("bybit_place_order", BUY_500);
    expect(res.isError).toBe(true);
    expect(res.structuredContent).toMatchObject({ status: "rejected", decision: "allow", ret_code: 110007 });
    expect(counter()).toBe(0);
    expect(ledger().at(-1)).toMatchObject({ kind: "order_rejected", outcome: "error", gate_decision: { allowed: true, decision: "allow" } });
    expect(String(ledger().at(-1)?.error)).toMatch(/^retCode 110007/);
  });

  it("10006 on create → rejected, not retried", async () => {
    sim.faults.set({ next: [{ fault: "ret10006", path: "/v5/order/create" }] });
    const res = await call("bybit_place_order", BUY_500);
    expect(res.structuredContent).toMatchObject({ status: "rejected", ret_code: 10006 });
    expect(creates()).toHaveLength(1);
  });

  it("10016 (server error) on create → looked up by orderLinkId → unknown, never resent, still counted", async () => {
    sim.faults.set({ next: [{ fault: "ret10016", path: "/v5/order/create" }] });
    const res = await call("bybit_place_order", { ...BUY_500, order_link_id: "srv-err-1" });
    expect(res.structuredContent).toMatchObject({ status: "unknown", order_link_id: "srv-err-1" });
    expect(creates()).toHaveLength(1);
    expect(sim.requests().some((r) => r.path === "/v5/order/history" && r.query.orderLinkId === "srv-err-1")).toBe(true);
    // It may have executed: over-counting is the safe side.
    expect(counter()).toBe(1);
    expect(ledger()).toHaveLength(1);
    expect(ledger()[0]).toMatchObject({ kind: "order_rejected", outcome: "error", status: "unknown" });
  });

  it("connection dropped after the exchange took the order → found by orderLinkId, accepted, counted, never resent", async () => {
    sim.faults.set({ next: [{ fault: "drop_after_process", path: "/v5/order/create" }] });
    const res = await call("bybit_place_order", { ...BUY_500, order_link_id: "lost-answer-1" });
    expect(res.structuredContent).toMatchObject({ status: "accepted" });
    expect(creates()).toHaveLength(1);
    expect(sim.state().orders.filter((o) => o.orderLinkId === "lost-answer-1")).toHaveLength(1);
    expect(counter()).toBe(1);
  });

  it("connection dropped before the exchange acted → unknown after lookup, never resent, still counted", async () => {
    sim.faults.set({ next: [{ fault: "drop_before_process", path: "/v5/order/create" }] });
    const res = await call("bybit_place_order", { ...BUY_500, order_link_id: "lost-req-1" });
    expect(res.isError).toBe(true);
    expect(res.structuredContent).toMatchObject({ status: "unknown", order_link_id: "lost-req-1" });
    expect(creates()).toHaveLength(1);
    expect(counter()).toBe(1);
    expect(sim.requests().some((r) => r.path === "/v5/order/realtime" && r.query.orderLinkId === "lost-req-1")).toBe(true);
  });

  it("a hung create → timeout → lookup → unknown, one create only", async () => {
    sim.faults.set({ next: [{ fault: "hang", path: "/v5/order/create" }] });
    const res = await call("bybit_place_order", { ...BUY_500, order_link_id: "hung-1" });
    expect(res.structuredContent).toMatchObject({ status: "unknown" });
    expect(creates()).toHaveLength(1);
    expect(sim.requests().some((r) => r.path === "/v5/order/realtime" && r.query.orderLinkId === "hung-1")).toBe(true);
  });
});

describe("check_order and mandate status", () => {
  it("check_order decides without forwarding or counting", async () => {
    const ok = await call("bybit_check_order", BUY_500);
    expect(ok.structuredContent).toMatchObject({ decision: "allow", allowed: true });
    // Vibe-Trading's checked_limits first, in its order; our own checks after them.
    expect((ok.structuredContent?.checked_limits as string[]).slice(0, 13)).toEqual([
      "mandate", "expiry", "halt_flag", "intent", "exclude_symbols", "allowed_instruments", "asset_classes",
      "max_order_notional_usd", "max_total_exposure_usd", "max_leverage", "max_trades_per_day", "account_funding_usd", "universe_floors",
    ]);
    const big = await call("bybit_check_order", { ...BUY_500, qty: "1" });
    expect(big.structuredContent).toMatchObject({ decision: "pause_for_reauth" });
    expect((big.structuredContent?.explanation as unknown[]).length).toBeGreaterThan(5);
    expect(creates()).toHaveLength(0);
    expect(counter()).toBe(0);
    expect(ledger()).toHaveLength(0);
  });

  it("mandate status shows caps, trades left, exposure headroom and halt state", async () => {
    await call("bybit_place_order", BUY_500);
    const res = await call("bybit_get_mandate_status", {});
    const sc = res.structuredContent as Record<string, any>;
    expect(sc.mandate.loaded).toBe(true);
    expect(sc.trades.used_today).toBe(1);
    expect(sc.trades.left_today).toBe(19);
    expect(sc.halt).toMatchObject({ halted: false });
    expect(sc.exposure.gross_usd).toBe("500");
    expect(sc.exposure.headroom_usd).toBe("4500");
    expect(sc.rules.revision).toMatch(/^[0-9a-f]{64}$|^sha256:/);
  });
});
