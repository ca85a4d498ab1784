/**
 * Database faults under the built server (issue 10): the database down,
 * and the connection lost mid-transaction before and after the send. The
 * server reaches its own private cluster through a TCP proxy the test
 * controls.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { CLI, connect, type McpHandle } from "../helpers/mcp.js";
import { describePgCluster, startPrivateCluster, type Cluster } from "../helpers/pg.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const BUY = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" };
const sc = (r: { structuredContent?: Record<string, unknown> }) => r.structuredContent as Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePgCluster("the shared state database failing under a server", () => {
  let cluster: Cluster;
  let proxy: TcpProxy;
  let sim: Sim;
  let root: string;
  let host: McpHandle;
  let n = 0;

  const dbUrl = () => proxy.url(cluster.url);
  const env = () => ({
    BYBIT_BASE_URL: sim.url,
    BYBIT_API_KEY: sim.apiKey,
    BYBIT_API_SECRET: sim.apiSecret,
    VIBE_RUNTIME_ROOT: root,
    BYBIT_MCP_STATE: dbUrl(),
    BYBIT_HTTP_TIMEOUT: "2",
    BYBIT_RECV_WINDOW: "1000",
  });
  const query = async (sql: string) => {
    const c = new pg.Client(cluster.url);
    await c.connect();
    try {
      return (await c.query(sql)).rows as Record<string, any>[];
    } finally {
      await c.end();
    }
  };
  const creates = (link?: string) => sim.requests().filter((r) => r.path === "/v5/order/create" && (link === undefined || (r.body as { orderLinkId?: string } | undefined)?.orderLinkId === link));

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    const u = new URL(cluster.url);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port) });
    sim = await startSim({ markDrift: false, rateLimits: false });
    sim.setMarkPrice("linear", "BTCUSDT", "50000");
  }, 60_000);
  afterAll(async () => {
    await sim.close();
    await proxy.close();
    await cluster.destroy();
  });
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "bybit-mcp-pgf-"));
    // Each test its own broker: the cluster's state is shared across the file.
    n++;
    // Not spawnSync: the proxy lives in this process's event loop.
    await promisify(execFile)(process.execPath, [CLI, "mandate", "init", "--yes", "--replace", "--funding", "10000", "--max-order", "1000", "--max-exposure", "5000", "--trades-per-day", "50"], {
      env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env(), BYBIT_BROKER_KEY: `bybit${n}` },
    });
    host = await connect({ ...env(), BYBIT_BROKER_KEY: `bybit${n}` });
    sim.faults.set({ latencyMs: 0 });
  });
  afterEach(async () => {
    proxy.refuse(false);
    proxy.resume();
    await host.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    // A test that stopped the server started it again; one that failed half way may not have.
    if (!(await query("SELECT 1").then(() => true, () => false))) await cluster.start();
  });

  it("the database down: every write is denied with one sentence naming it, reads still answer; it trades again once the database is back", async () => {
    expect(sc(await host.call("bybit_place_order", BUY)).status).toBe("accepted");
    await cluster.stop();
    const sent = creates().length;
    for (const call of [host.call("bybit_place_order", BUY), host.call("bybit_cancel_all_orders", { category: "linear", symbol: "BTCUSDT" })]) {
      const r = sc(await call);
      expect(r.status).toBe("blocked");
      expect(String(r.reason)).toMatch(/shared state database postgres:\/\/.* cannot be reached/);
    }
    expect(creates().length).toBe(sent);
    const read = await host.call("bybit_get_tickers", { category: "linear", symbol: "BTCUSDT" });
    expect(read.isError).toBeFalsy();
    expect(JSON.stringify(read.structuredContent)).toMatch(/BTCUSDT/);
    await cluster.start();
    let status = "";
    for (let i = 0; i < 30 && status !== "accepted"; i++) {
      await sleep(200);
      status = sc(await host.call("bybit_place_order", BUY)).status;
    }
    expect(status).toBe("accepted");
  }, 60_000);

  it("the connection lost mid-transaction before the send: the order lock is gone, so nothing is sent, and that is recorded", async () => {
    sim.faults.set({ latencyMs: 800 });
    const seen = sim.requests().length;
    const pending = host.call("bybit_place_order", { ...BUY, order_link_id: "cut-before" });
    // The batch holds the shared lock and is reading the exchange (each answer 800 ms late): cut now.
    while (!sim.requests().slice(seen).some((r) => r.path === "/v5/position/list")) await sleep(5);
    await sleep(50);
    proxy.cutAll();
    const r = sc(await pending);
    expect(r.status).toBe("blocked");
    expect(String(r.reason)).toMatch(/the order lock was lost \(the shared state database connection dropped\) before the order left; nothing was sent/);
    expect(creates("cut-before")).toHaveLength(0);
    sim.faults.set({ latencyMs: 0 });
    await sleep(300);
    const recs = await query("SELECT record_line FROM bybit_mcp_ledger WHERE record_line LIKE '%cut-before%'");
    expect(recs).toHaveLength(1);
    expect(JSON.parse(recs[0]!.record_line)).toMatchObject({ kind: "order_rejected", outcome: "blocked" });
    // Its count was given back: only the next order is counted.
    expect(sc(await host.call("bybit_place_order", BUY)).status).toBe("accepted");
    expect(await query(`SELECT trades FROM bybit_mcp_counter WHERE broker = 'bybit${n}'`)).toEqual([{ trades: 1 }]);
  }, 30_000);

  it("the connection lost after the send: the outcome is reconciled from the exchange by orderLinkId, once, never resent", async () => {
    sim.faults.set({ latencyMs: 600 });
    const pending = host.call("bybit_place_order", { ...BUY, order_link_id: "cut-after" });
    while (creates("cut-after").length === 0) await sleep(10);
    // The create is on its way: the database goes away before the outcome can be written.
    proxy.refuse(true);
    proxy.cutAll();
    const first = sc(await pending);
    expect(first.status).toBe("accepted");
    sim.faults.set({ latencyMs: 0 });
    proxy.refuse(false);
    // Past the receive window, the next batch reconciles the open entry.
    await sleep(4500);
    expect(sc(await host.call("bybit_place_order", BUY)).status).toBe("accepted");
    const recs = (await query("SELECT record_line FROM bybit_mcp_ledger WHERE record_line LIKE '%cut-after%'")).map((r) => JSON.parse(r.record_line));
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ kind: "order_placed", outcome: "accepted", reconciled: true });
    expect(creates("cut-after")).toHaveLength(1);
    const open = await query("SELECT count(*)::int AS n FROM bybit_mcp_journal WHERE close_line IS NULL");
    expect(open[0]?.n).toBe(0);
  }, 30_000);
});
