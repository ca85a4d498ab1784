/**
 * The web console in-process on port 0, over a temporary runtime root (and
 * the shared PostgreSQL state when `env` sets BYBIT_MCP_STATE), with a raw
 * HTTP client that can send any Host, Origin and Cookie (fetch may not set
 * Host), and a helper that creates a pending approval request.
 */
import { request as httpRequest } from "node:http";
import { loadConfig, type Config } from "../../src/config.js";
import { environmentOf } from "../../src/environment.js";
import { startConsole, type ConsoleHandle } from "../../src/console/server.js";
import { loadRuleSetOrError } from "../../src/state/rules-files.js";
import { silentLogger } from "../../src/log.js";
import { ApprovalStore, type ApprovalInput, type ApprovalRequest } from "../../src/state/approvals.js";
import { AuditLedger } from "../../src/state/audit.js";
import { runtimePaths, type RuntimePaths } from "../../src/state/paths.js";
import { clientFor } from "../../src/bybit/client.js";
import { cliState, type CliState } from "../../src/cli/state.js";
import { consoleStatus } from "../../src/console/status.js";
import { tempRuntime, type Runtime } from "./runtime.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ConsoleRig {
  rt: Runtime;
  config: Config;
  paths: RuntimePaths;
  /** The console's own state (files, or postgres with BYBIT_MCP_STATE). */
  state: CliState;
  /** The runtime root's approvals and ledger, read directly (the files backend's). */
  approvals: ApprovalStore;
  ledger: AuditLedger;
  console: ConsoleHandle;
  /** host:port as the console expects it in Host. */
  host: string;
  raw(method: string, path: string, opts?: { headers?: Record<string, string>; body?: string }): Promise<RawResponse>;
  /** Log in through a fresh token URL: the cookie pair and a CSRF token read from a page. */
  login(): Promise<{ cookie: string; csrf: string }>;
  /** A urlencoded POST with the right Host and Origin. */
  post(path: string, fields: Record<string, string>, cookie: string, headers?: Record<string, string>): Promise<RawResponse>;
  /** A pending request in the runtime root's files (the files backend). */
  pendingApproval(over?: Partial<{ intent: string }>): ApprovalRequest;
  close(): Promise<void>;
}

/** What the gate records for an order it pauses: a $1,250 buy over a $1,000 cap. */
export function pausedOrder(over: Partial<{ intent: string }> = {}): ApprovalInput {
  return {
    decision_id: `d_${Math.random().toString(16).slice(2)}`,
    intent_normalized: over.intent ?? "buy $1,250.00 BTCUSDT (linear)",
    reason: "order notional $1,250.00 exceeds max_order_notional_usd $1,000.00",
    order: { tool: "place_order", remote_tool: "bybit_place_order", body: { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.02" } },
    breaches: [{ limit: "max_order_notional_usd", kind: "quantitative", limit_value: 1000, attempted_value: "1250", detail: "order notional $1,250.00 exceeds max_order_notional_usd $1,000.00" }],
    price_tolerance_pct: "1",
  };
}

export async function consoleRig(env: Record<string, string> = {}): Promise<ConsoleRig> {
  const rt = tempRuntime();
  rt.writeMandate();
  const config = loadConfig({ HOME: rt.root, VIBE_RUNTIME_ROOT: rt.root, BYBIT_MCP_SESSION_ID: "s_console_test", ...env });
  const paths = runtimePaths(config.runtimeRoot, "bybit");
  const approvals = new ApprovalStore(paths, { ttlMs: config.approvalTtlMs });
  const ledger = new AuditLedger(paths);
  const client = clientFor(config);
  const state = await cliState(config, "bybit");
  const rules = loadRuleSetOrError(config.rulesDir);
  const handle = await startConsole({
    host: "127.0.0.1",
    port: 0,
    deps: {
      config,
      state,
      environment: environmentOf(config),
      status: () => consoleStatus({ config, state, client, ruleSet: rules, nowMs: Date.now() }),
      logger: silentLogger,
      nowMs: Date.now,
    },
  });
  const host = `127.0.0.1:${handle.port}`;
  const raw: ConsoleRig["raw"] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: handle.port, method, path, headers: { host, ...opts.headers } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end(opts.body);
    });
  const rig: ConsoleRig = {
    rt,
    config,
    paths,
    state,
    approvals,
    ledger,
    console: handle,
    host,
    raw,
    async login() {
      const url = new URL(handle.loginUrl());
      const res = await raw("GET", `${url.pathname}${url.search}`);
      if (res.status !== 303) throw new Error(`login answered ${res.status}`);
      const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
      const page = await raw("GET", "/halt", { headers: { cookie } });
      const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page.body)?.[1];
      if (!csrf) throw new Error("no CSRF token on /halt");
      return { cookie, csrf };
    },
    post(path, fields, cookie, headers = {}) {
      return raw("POST", path, {
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", origin: `http://${host}`, ...headers },
        body: new URLSearchParams(fields).toString(),
      });
    },
    pendingApproval(over = {}) {
      return approvals.create(pausedOrder(over));
    },
    async close() {
      await handle.close();
      await client.close();
      await state.close();
      rt.cleanup();
    },
  };
  return rig;
}
