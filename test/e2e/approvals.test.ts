/**
 * Approving one paused order, end to end: the built server over stdio
 * pauses and records a request, a person approves it with the built CLI,
 * and the identical retry with approval_id goes through exactly once.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { CLI, connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let sim: Sim;
let rt: Runtime;
const handles: McpHandle[] = [];

/** $1,500 against the example mandate's $1,000 order cap: a quantitative pause. */
const BUY_1500 = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.03" };

beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate();
});
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
  rt.cleanup();
  await sim.close();
});

async function server() {
  const h = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "2" });
  handles.push(h);
  return h;
}
const sc = (r: { structuredContent?: Record<string, unknown> }) => r.structuredContent as Record<string, any>;
const creates = () => sim.requests().filter((r) => r.path === "/v5/order/create");
const counter = () => (existsSync(join(rt.broker, "trade_counter.json")) ? JSON.parse(readFileSync(join(rt.broker, "trade_counter.json"), "utf8")).count : 0);
const ledger = () => readFileSync(join(rt.live, "audit.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", VIBE_RUNTIME_ROOT: rt.root }, encoding: "utf8" });

async function pause(mcp: McpHandle, args = BUY_1500): Promise<string> {
  const res = sc(await mcp.call("bybit_place_order", args));
  expect(res).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
  expect(res.approval.id).toMatch(/^apr_[0-9a-f]{32}$/);
  expect(res.approval.ask_user).toContain(`bybit-mcp approve ${res.approval.id}`);
  return res.approval.id as string;
}

describe("approving one paused order", () => {
  it("pause -> approve -> the identical retry is forwarded once, counted, and its record carries approval_id; the same retry again pauses", async () => {
    const mcp = await server();
    const id = await pause(mcp);
    expect(ledger().at(-1)).toMatchObject({ kind: "breach", outcome: "blocked", approval_id: id });
    // Nothing in the MCP surface approves: the retry before the person decided still pauses.
    expect(sc(await mcp.call("bybit_place_order", { ...BUY_1500, approval_id: id })).status).toBe("blocked");
    const approve = cli("approve", id, "--yes");
    expect(approve.status, approve.stderr).toBe(0);
    const ok = sc(await mcp.call("bybit_place_order", { ...BUY_1500, approval_id: id }));
    expect(ok.status).toBe("accepted");
    expect(creates()).toHaveLength(1);
    expect(counter()).toBe(1);
    expect(ledger().at(-1)).toMatchObject({ kind: "order_placed", outcome: "accepted", approval_id: id });
    const again = sc(await mcp.call("bybit_place_order", { ...BUY_1500, approval_id: id }));
    expect(again).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(again.approval.id).not.toBe(id);
    expect(creates()).toHaveLength(1);
  });

  it("a changed qty with that id is denied; A's approval used for B is denied", async () => {
    const mcp = await server();
    const id = await pause(mcp);
    expect(cli("approve", id, "--yes").status).toBe(0);
    const bigger = sc(await mcp.call("bybit_place_order", { ...BUY_1500, qty: "0.04", approval_id: id }));
    expect(bigger).toMatchObject({ status: "blocked", decision: "deny", refused_step: "approval" });
    const other = sc(await mcp.call("bybit_place_order", { ...BUY_1500, side: "Sell", approval_id: id }));
    expect(other).toMatchObject({ status: "blocked", decision: "deny", refused_step: "approval" });
    expect(creates()).toHaveLength(0);
  });

  it("an expired approval pauses again with a new request", async () => {
    const mcp = await server();
    const id = await pause(mcp);
    expect(cli("approve", id, "--yes").status).toBe(0);
    const file = join(rt.broker, "approvals", `${id}.json`);
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...stored, expires_at: "2026-01-01T00:00:00.000Z" }), { mode: 0o600 });
    const res = sc(await mcp.call("bybit_place_order", { ...BUY_1500, approval_id: id }));
    expect(res).toMatchObject({ status: "blocked", decision: "pause_for_reauth" });
    expect(res.approval.id).not.toBe(id);
    expect(creates()).toHaveLength(0);
  });

  it("two processes racing to use one approval: one forward", async () => {
    const [a, b] = [await server(), await server()];
    const id = await pause(a);
    expect(cli("approve", id, "--yes").status).toBe(0);
    const results = await Promise.all([a, b].map((h) => h.call("bybit_place_order", { ...BUY_1500, approval_id: id })));
    expect(results.map((r) => sc(r).status).sort()).toEqual(["accepted", "blocked"]);
    expect(creates()).toHaveLength(1);
    expect(counter()).toBe(1);
  });
});
