/**
 * `bybit-mcp console` as shipped (dist/bin): it prints a one-time login URL
 * on stderr, serves the pages after that login, shows what another process
 * writes without a restart, prints the next URL after each login, and
 * refuses a non-loopback --host with exit 2.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { cliState } from "../../src/cli/state.js";
import { loadConfig } from "../../src/config.js";
import { ApprovalStore } from "../../src/state/approvals.js";
import { runtimePaths } from "../../src/state/paths.js";
import { pausedOrder } from "../helpers/console.js";
import { assertBuilt, CLI } from "../helpers/mcp.js";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

let rt: Runtime;
let child: ChildProcess | undefined;
beforeAll(() => assertBuilt());
afterEach(() => {
  child?.kill("SIGTERM");
  child = undefined;
  rt?.cleanup();
});

function envFor(root: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: root, VIBE_RUNTIME_ROOT: root, ...extra };
}

/** Start the console and wait for the n-th login URL on stderr. */
function start(root: string, extra: Record<string, string> = {}): { next: (n: number) => Promise<string>; stderr: () => string } {
  child = spawn(process.execPath, [CLI, "console", "--port", "0"], { env: envFor(root, extra), stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const waiters: (() => void)[] = [];
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  const urls = () => [...err.matchAll(/http:\/\/127\.0\.0\.1:\d+\/login\?token=[0-9a-f]{64}/g)].map((m) => m[0]);
  return {
    stderr: () => err,
    next: async (n) => {
      const deadline = Date.now() + 10_000;
      while (urls().length < n) {
        if (Date.now() > deadline) throw new Error(`no login URL #${n} on stderr: ${err}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return urls()[n - 1]!;
    },
  };
}

describe("bybit-mcp console", () => {
  it("logs in once per printed URL and shows another process's approval without a restart", async () => {
    rt = tempRuntime();
    rt.writeMandate();
    const c = start(rt.root);
    const url = await c.next(1);
    const origin = new URL(url).origin;
    expect((await fetch(`${origin}/`)).status).toBe(401);
    const login = await fetch(url, { redirect: "manual" });
    expect(login.status).toBe(303);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect((await fetch(url, { redirect: "manual" })).status).toBe(401);
    // The next URL is printed for another browser, and differs from the spent one.
    expect(await c.next(2)).not.toBe(url);

    const before = await (await fetch(`${origin}/approvals`, { headers: { cookie } })).text();
    expect(before).toContain('id="no-pending"');
    // Another process (here: this test) records a request in the same files.
    const r = new ApprovalStore(runtimePaths(rt.root, "bybit")).create({
      decision_id: "d_other",
      intent_normalized: "sell $3,000.00 ETHUSDT (linear)",
      reason: "gross exposure $6,000.00 would exceed max_total_exposure_usd $5,000.00",
      order: { tool: "place_order", remote_tool: "bybit_place_order", body: { category: "linear", symbol: "ETHUSDT", side: "Sell", orderType: "Market", qty: "1" } },
      breaches: [{ limit: "max_total_exposure_usd", kind: "quantitative", limit_value: 5000, attempted_value: "6000", detail: "gross exposure would exceed the cap" }],
      price_tolerance_pct: "1",
    });
    const after = await (await fetch(`${origin}/approvals`, { headers: { cookie } })).text();
    expect(after).toContain(r.id);
    expect(after).toContain("sell $3,000.00 ETHUSDT (linear)");
    // The banner says where orders would go: no base URL set means mainnet.
    expect(after).toContain('data-environment="mainnet"');
    // No token or cookie ever reaches the log lines.
    const token = new URL(url).searchParams.get("token")!;
    const logLines = c.stderr().split("\n").filter((l) => l.startsWith("{"));
    expect(logLines.join("\n")).not.toContain(token);
    expect(c.stderr()).not.toContain(cookie.split("=")[1]!);
  });

  it("refuses a non-loopback --host with exit 2 and one line", () => {
    rt = tempRuntime();
    const r = spawnSync(process.execPath, [CLI, "console", "--host", "0.0.0.0", "--port", "0"], { env: envFor(rt.root), encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^bybit-mcp: console: --host 0\.0\.0\.0 is not loopback/);
  });

  it("--help says what it serves", () => {
    rt = tempRuntime();
    const r = spawnSync(process.execPath, [CLI, "console", "--help"], { env: envFor(rt.root), encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("one-time login URL");
  });
});

describePg("bybit-mcp console on BYBIT_MCP_STATE=postgres://", () => {
  it("serves the shared state, shows another host's request, and exits cleanly on SIGTERM", async () => {
    const url = await freshDatabase(pgTestUrl()!);
    try {
      rt = tempRuntime();
      const c = start(rt.root, { BYBIT_MCP_STATE: url });
      const login = await c.next(1);
      expect(c.stderr()).toContain("Shared state: postgres");
      const origin = new URL(login).origin;
      const cookie = (await fetch(login, { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;
      // Another host (here: this test) records a request in the same database.
      const other = await cliState(loadConfig({ HOME: rt.root, VIBE_RUNTIME_ROOT: join(rt.root, "elsewhere"), BYBIT_MCP_STATE: url }), "bybit");
      const r = await other.approvals.create(pausedOrder());
      await other.close();
      const page = await (await fetch(`${origin}/approvals`, { headers: { cookie } })).text();
      expect(page).toContain(r.id);
      expect(await (await fetch(`${origin}/ledger`, { headers: { cookie } })).text()).toContain("(bybit_mcp_ledger, broker bybit)");
      // The pool is closed on the way out: the process ends by itself.
      const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
      child!.kill("SIGTERM");
      expect(await exited).toBe(0);
      child = undefined;
    } finally {
      await dropDatabase(url);
    }
  });
});
