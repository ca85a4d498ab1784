/**
 * npm run bench: the speed and memory targets, measured on the built server
 * against the simulator, printed as a table and written as JSON to
 * bench/results/latest.json. Never asserted in tests: machines are shared.
 *
 * Targets: initialize <= 200 ms after spawn; peak RSS <= 70 MB; tools/list
 * <= 25 KB; rules evaluation <= 100 us p50; whole decision <= 2 ms p50;
 * gated place_order <= 2.2 exchange round trips; in-process cost <= 2 ms p50;
 * >= 300 gated orders/s with exact counting.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { benchGate } from "../src/gate/bench.js";
import type { ChildProcess } from "node:child_process";
import { exampleMandate } from "../src/demo/mandate.js";
import { packageRoot } from "../src/util/package-root.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

const CLI = join(packageRoot(), "dist", "bin", "main.js");
type Row = { metric: string; value: number; unit: string; target: string; ok: boolean | null };
const rows: Row[] = [];
const add = (metric: string, value: number, unit: string, target = "", ok: boolean | null = null) => {
  rows.push({ metric, value: Math.round(value * 1000) / 1000, unit, target, ok });
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function runtime(caps: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-bench-"));
  mkdirSync(join(root, "live", "bybit"), { recursive: true });
  writeFileSync(join(root, "live", "bybit", "mandate.json"), JSON.stringify(exampleMandate({ hard_caps: caps })));
  return root;
}

/** Spawn the server, send initialize, time until the answer; then read peak RSS after some work. */
async function coldStart(env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "ignore"] });
  const answered = new Promise<number>((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"id":1')) resolve(performance.now() - t0);
    });
    child.once("exit", () => reject(new Error("server exited before answering initialize")));
  });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } } })}\n`);
  const ms = await answered;
  child.kill();
  return ms;
}

/** Spawn, initialize + tools/list, close stdin: ms until the process has exited. */
async function exitAfterStdinClose(env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [CLI], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "ignore"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await new Promise<void>((resolve) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"id":2')) resolve();
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "0" } } })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`);
  });
  const t0 = performance.now();
  child.stdin.end();
  await exited;
  return performance.now() - t0;
}

async function connect(env: Record<string, string>) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: { PATH: process.env.PATH ?? "", ...env }, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "0" });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

function procStatusMb(pid: number | null, field: "VmHWM" | "VmRSS"): number {
  if (!pid) return Number.NaN;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** CPU time (user + system, ms) the process has used so far. */
function cpuMs(pid: number | null): number {
  if (!pid) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second here).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function timed(fn: () => Promise<unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * The simulator in its own process (`bybit-mcp sim`), driven through its
 * admin routes: like a real exchange, its work does not share a thread with
 * the benchmark's client, and the server's figures are its own.
 */
interface RemoteSim {
  url: string;
  apiKey: string;
  apiSecret: string;
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

async function spawnSim(): Promise<RemoteSim> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "sim", "--port", "0", "--no-drift", "--no-rate-limits"], { stdio: ["ignore", "ignore", "pipe"] });
  const info = await new Promise<{ url: string; apiKey: string; apiSecret: string }>((resolve, reject) => {
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => l.includes("listening"));
      if (line) resolve(JSON.parse(line) as { url: string; apiKey: string; apiSecret: string });
    });
    child.once("exit", () => reject(new Error(`simulator exited: ${buf}`)));
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${info.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    return res.json();
  };
  return {
    ...info,
    admin,
    close: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/**
 * Console page time to first byte: the built `bybit-mcp console` logged in once, then GET /
 * (mandate status, with positions read from the simulator) and GET /ledger (tail + chain verify).
 */
async function consoleTtfb(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [CLI, "console", "--port", "0"], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64}/.exec(err);
        if (m) resolve(m[0]);
      });
      child.once("exit", () => reject(new Error(`console exited: ${err}`)));
    });
    const cookie = (await fetch(url, { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;
    const { request } = await import("node:http");
    const ttfb = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const req = request(new URL(path, url), { headers: { cookie } }, (res) => {
          const ms = performance.now() - t0;
          res.resume().on("end", () => resolve(ms));
        });
        req.on("error", reject).end();
      });
    for (const path of ["/", "/ledger"]) {
      const xs: number[] = [];
      for (let i = 0; i < 60; i++) xs.push(await ttfb(path));
      add(`console ${path} time to first byte p50 (of 50, after 10 warm-up)`, pct(xs.slice(10), 50), "ms");
    }
  } finally {
    child.kill();
  }
}

async function main() {
  const sim = await spawnSim();
  await sim.admin("POST", "/__sim/mark", { category: "linear", symbol: "BTCUSDT", price: "50000" });
  const big = { account_funding_usd: 1e9, max_order_notional_usd: 1e9, max_total_exposure_usd: 1e12, max_leverage: 100, max_trades_per_day: 1_000_000 };
  const env = (root: string) => ({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: root, BYBIT_MCP_LOG_LEVEL: "error" });

  // 1. Cold start and footprint.
  const starts: number[] = [];
  for (let i = 0; i < 7; i++) starts.push(await coldStart(env(runtime())));
  add("spawn -> initialize answered (p50 of 7)", pct(starts, 50), "ms", "<= 200", pct(starts, 50) <= 200);

  const exits: number[] = [];
  for (let i = 0; i < 7; i++) exits.push(await exitAfterStdinClose(env(runtime())));
  add("stdin closed after tools/list -> process exited (p50 of 7)", pct(exits, 50), "ms", "< 50", pct(exits, 50) < 50);

  const root = runtime(big);
  const { client, pid } = await connect(env(root));
  const { tools } = await client.listTools();
  const listBytes = JSON.stringify({ tools }).length;
  add("tools/list size", listBytes / 1024, "KB", "<= 25", listBytes <= 25 * 1024);
  const idleRss = procStatusMb(pid, "VmHWM");
  add("server peak RSS after initialize + tools/list", idleRss, "MB", "<= 70", idleRss <= 70);

  // 2. Read tool round trip over stdio (no added latency).
  const read = () => client.callTool({ name: "bybit_get_tickers", arguments: { category: "linear", symbol: "BTCUSDT" } });
  await timed(read, 20);
  let cpu0 = cpuMs(pid);
  const reads = await timed(read, 300);
  const readCpu = (cpuMs(pid) - cpu0) / 300;
  add("read tool round trip p50", pct(reads, 50), "ms");
  add("read tool round trip p99", pct(reads, 99), "ms");
  add("server CPU per read tool call", readCpu, "ms");

  // 3. Gated place_order with no added latency.
  const place = () => client.callTool({ name: "bybit_place_order", arguments: { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.001" } });
  await timed(place, 10);
  cpu0 = cpuMs(pid);
  const places = await timed(place, 200);
  const placeCpu = (cpuMs(pid) - cpu0) / 200;
  add("gated place_order round trip p50", pct(places, 50), "ms");
  add("gated place_order round trip p99", pct(places, 99), "ms");
  add("gated place_order beyond one read, wall (p50)", pct(places, 50) - pct(reads, 50), "ms", "(11 exchange calls, 6 fsyncs)");
  // The server's own CPU per order beyond a read: facts, gate, ledger, counter; excludes the
  // simulator (another process) and the time spent waiting on the network and on fsync.
  add("server CPU per gated order beyond a read", placeCpu - readCpu, "ms", "<= 2 (in-process cost)", placeCpu - readCpu <= 2);

  const steadyRss = procStatusMb(pid, "VmHWM");
  add("server peak RSS after 300 reads + 210 gated orders", steadyRss, "MB", "<= 70", steadyRss <= 70);

  // 4. In units of exchange round trips, with L ms added to every response.
  const L = 50;
  await sim.admin("POST", "/__sim/faults", { latencyMs: L });
  const readsL = await timed(read, 15);
  const placesL = await timed(place, 15);
  await sim.admin("POST", "/__sim/faults/clear");
  add(`read tool / L (L=${L} ms)`, pct(readsL, 50) / L, "round trips");
  add(`gated place_order / L (L=${L} ms)`, pct(placesL, 50) / L, "round trips", "<= 2.2", pct(placesL, 50) / L <= 2.2);

  // 5. Throughput with exact counting: N concurrent orders over one stdio session.
  const counterFile = join(root, "live", "bybit", "trade_counter.json");
  const before = JSON.parse(readFileSync(counterFile, "utf8")).count as number;
  await sim.admin("POST", "/__sim/requests/clear");
  const N = 600;
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: N }, () => place()));
  const secs = (performance.now() - t0) / 1000;
  const accepted = results.filter((r) => (r.structuredContent as { status?: string } | undefined)?.status === "accepted").length;
  const counted = (JSON.parse(readFileSync(counterFile, "utf8")).count as number) - before;
  const creates = ((await sim.admin("GET", "/__sim/requests")) as { path: string }[]).filter((r) => r.path === "/v5/order/create").length;
  const exact = accepted === N && counted === N && creates === N;
  add(`gated orders/s (${N} concurrent, counted ${counted}, forwarded ${creates})`, N / secs, "orders/s", ">= 300, exact", N / secs >= 300 && exact);

  const peak = procStatusMb(pid, "VmHWM");
  add("server peak RSS after the 600-order burst too", peak, "MB", "<= 70", peak <= 70);
  await client.close();
  await consoleTtfb(env(root));
  await sim.close();

  // 6. The gate alone (in this process).
  const g = await benchGate(5000);
  add("rules evaluation p50", g.rulesOnlyP50Us, "us", "<= 100", g.rulesOnlyP50Us <= 100);
  add("rules evaluation p99", g.rulesOnlyP99Us, "us");
  add("whole decision (no network) p50", g.decideP50Us / 1000, "ms", "<= 2", g.decideP50Us / 1000 <= 2);
  add("whole decision (no network) p99", g.decideP99Us / 1000, "ms");

  const w = Math.max(...rows.map((r) => r.metric.length));
  console.log(`${"metric".padEnd(w)}  ${"value".padStart(10)}  unit         target`);
  for (const r of rows) {
    const mark = r.ok === null ? "" : r.ok ? "  ok" : "  MISSED";
    console.log(`${r.metric.padEnd(w)}  ${String(r.value).padStart(10)}  ${r.unit.padEnd(11)}  ${r.target}${mark}`);
  }
  const dir = join(packageRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const payload = { at: new Date().toISOString(), node: process.version, rows };
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(payload, null, 2)}\n`);
  console.log(`\nwritten: ${join(dir, "latest.json")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
