/**
 * The floors under the per-order targets, measured in this process in the
 * same run: the I/O a gated order cannot skip, with none of the server's own
 * work around it (no MCP, no gate, no record building).
 *
 *  - exchange: the reads a USDT-only account's order needs (ticker, positions,
 *    open orders linear and spot, wallet; in parallel) and the create, less
 *    one ticker read (what "beyond a read" takes away);
 *  - durable state: the count (atomic replace), the journal's open and close,
 *    one ledger record (two fsync'd files and the tip behind them).
 *
 * Each is timed hot (back to back) and after 50 ms idle, as an order with
 * L = 50 ms added to every answer finds the machine: a VM's idle vCPU wakes
 * cold, so the same steps take longer.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BybitClient } from "../src/bybit/client.js";
import { AuditLedger, incrementTradesTodayAsync, runtimePaths, type AuditInput } from "../src/state/index.js";
import { Journal } from "../src/state/journal.js";
import { writesSettled } from "../src/state/pending-writes.js";

type Add = (metric: string, value: number, unit: string, target?: string, ok?: boolean | null) => void;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU (whole process, every thread) and wall per call of `fn`, after a warm-up; `idleMs` of sleep before each call when set. */
async function cost(fn: (i: number) => Promise<unknown>, n: number, idleMs = 0): Promise<{ cpu: number; wall: number }> {
  for (let i = 0; i < 20; i++) await fn(-1 - i);
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < n; i++) {
    if (idleMs > 0) await sleep(idleMs);
    const c0 = cpuMs();
    const t0 = performance.now();
    await fn(i);
    wall += performance.now() - t0;
    cpu += cpuMs() - c0;
  }
  return { cpu: cpu / n, wall: wall / n };
}

export async function benchFloors(sim: { url: string; apiKey: string; apiSecret: string }, add: Add, measuredCpuBeyondRead: number): Promise<void> {
  const client = new BybitClient({ baseUrl: sim.url, apiKey: sim.apiKey, apiSecret: sim.apiSecret, recvWindow: 5000, timeoutMs: 5000 });
  const ticker = () => client.get("/v5/market/tickers", { category: "linear", symbol: "BTCUSDT" });
  const reads = () =>
    Promise.all([
      ticker(),
      client.get("/v5/position/list", { category: "linear", settleCoin: "USDT" }, true),
      client.get("/v5/order/realtime", { category: "linear", settleCoin: "USDT" }, true),
      client.get("/v5/order/realtime", { category: "spot" }, true),
      client.get("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true),
    ]);
  const create = (i: number) =>
    client.post("/v5/order/create", { category: "linear", symbol: "BTCUSDT", side: i % 2 === 0 ? "Buy" : "Sell", orderType: "Market", qty: "0.001", orderLinkId: `floor-${process.pid}-${i}-${Date.now()}` });

  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-bench-floor-"));
  mkdirSync(join(root, "live", "bybit"), { recursive: true });
  const paths = runtimePaths(root, "bybit");
  const journal = new Journal(paths);
  const ledger = new AuditLedger(paths, {});
  const body = { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.001" };
  // A record about as large as a gated order's (its facts are most of it).
  const facts = Object.fromEntries(Array.from({ length: 60 }, (_, k) => [`fact_${k}`, { value: "50000.00", readable: true, problem: null, source: "ticker" }]));
  const record = (i: number): AuditInput => ({
    kind: "order_placed",
    session_id: "bench",
    intent_normalized: "buy 0.001 qty BTCUSDT (linear)",
    mandate_snapshot_ref: "0".repeat(64),
    consent_record_ref: "",
    broker_request: { path: "/v5/order/create", body: { ...body, orderLinkId: `floor-${i}` } },
    broker_response: { orderId: `o-${i}`, orderLinkId: `floor-${i}` },
    outcome: "accepted",
    gate_decision: { allowed: true, decision: "allow", checked_limits: ["mandate", "expiry", "halt_flag"] },
    server: "bybit",
    remote_tool: "bybit_place_order",
    error: null,
    extra: { decision_id: `dec_floor_${i}`, facts },
  });
  const durable = async (i: number) => {
    const id = `dec_floor_${i}_${Date.now()}`;
    await incrementTradesTodayAsync(paths, Date.now(), 1);
    await journal.open([{ op: "open", decision_id: id, order_link_id: `floor-${i}`, tool: "place_order", remote_tool: "bybit_place_order", path: "/v5/order/create", body, session_id: "bench", ts_ms: Date.now(), counted_day: null, mandate_sha256: "0".repeat(64), record: { extra: { facts: null } } }]);
    await ledger.appendManyAsync([record(i)]);
    await journal.close([{ op: "close", decision_id: id, outcome: "accepted", audit_id: null, ts_ms: Date.now() }]);
    await writesSettled();
  };

  try {
    const oneRead = await cost(ticker, 200);
    const orderReads = await cost(reads, 200);
    const creates = await cost(create, 200);
    const exchange = orderReads.cpu + creates.cpu - oneRead.cpu;
    add("floor: exchange I/O CPU per gated order beyond a read (5 reads + create - 1 read)", exchange, "ms");
    const count = await cost(() => incrementTradesTodayAsync(paths, Date.now(), 1), 200);
    add("  of which the count (temp file, fsync, rename, directory fsync)", count.cpu, "ms");
    const rec = await cost(async (i) => {
      await ledger.appendManyAsync([record(i)]);
      await writesSettled();
    }, 200);
    add("  of which one ledger record (redact, serialize, chain, two fsyncs, the tip)", rec.cpu, "ms");
    const hot = await cost(durable, 200);
    add("floor: durable state CPU per order (count, journal open + close, one ledger record)", hot.cpu, "ms");
    const floor = exchange + hot.cpu;
    add("floor: server CPU per gated order beyond a read, that I/O alone", floor, "ms", "<= 2 (the target)", floor <= 2);
    add("measured server CPU per gated order beyond a read / that floor", measuredCpuBeyondRead / floor, "x");
    const idle = await cost(durable, 40, 50);
    add("floor: durable state per order, wall, back to back", hot.wall, "ms");
    add("floor: durable state per order, wall, after 50 ms idle (as with L = 50)", idle.wall, "ms", "(2.1 L leaves 5 ms for all local work)");
    add("durable state wall, after 50 ms idle / back to back", idle.wall / hot.wall, "x");
  } finally {
    await client.close();
  }
}
