/**
 * `bybit-mcp demo`: a self-contained tour. Starts the simulated exchange and
 * the real server (as a child over stdio) in a temporary runtime root, drives
 * them with the SDK's MCP client, and prints what an agent sees for an
 * allowed order, a paused one, a denied one and a halt, then where the audit
 * ledger is. Touches nothing in the user's home.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exampleMandate } from "../demo/mandate.js";
import { startSim } from "../sim/index.js";
import { AuditLedger, runtimePaths } from "../state/index.js";
import { parse } from "./args.js";
import { haltCommand } from "./halt.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

const HELP = `Usage: bybit-mcp demo

A guided tour on the embedded simulated exchange: no keys, no network, nothing
written outside a fresh temporary folder (printed at the end).
`;

type Result = { structuredContent?: Record<string, unknown>; isError?: boolean; content?: unknown };

export const demoCommand: CliCommand = async (argv, io) => {
  const { values } = parse("demo", argv, {});
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  const root = mkdtempSync(join(tmpdir(), "bybit-mcp-demo-"));
  const brokerDir = join(root, "live", "bybit");
  mkdirSync(brokerDir, { recursive: true });
  writeFileSync(join(brokerDir, "mandate.json"), `${JSON.stringify(exampleMandate({ universe: { exclude_symbols: ["DOGEUSDT"] } }), null, 2)}\n`, { mode: 0o600 });

  const sim = await startSim({ markDrift: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  const env = {
    PATH: process.env.PATH ?? "",
    BYBIT_BASE_URL: sim.url,
    BYBIT_API_KEY: sim.apiKey,
    BYBIT_API_SECRET: sim.apiSecret,
    VIBE_RUNTIME_ROOT: root,
    BYBIT_MCP_LOG_LEVEL: "warn",
  };
  const out = (s = "") => io.stdout(`${s}\n`);
  const client = new Client({ name: "bybit-mcp-demo", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [fileURLToPath(new URL("./main.js", import.meta.url)), "serve"],
    env,
    stderr: "inherit",
  });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    out(`bybit-mcp demo: simulated exchange at ${sim.url}, runtime root ${root}`);
    out(`The agent sees ${tools.length} tools (${JSON.stringify(tools).length.toLocaleString("en-US")} bytes of tools/list).`);
    out("Mandate: $10,000 funding, max $1,000 per order, $5,000 gross exposure, cash only, crypto only, DOGEUSDT excluded, 20 trades/day.\n");

    const call = async (title: string, name: string, args: Record<string, unknown>) => {
      const res = (await client.callTool({ name, arguments: args })) as Result;
      out(`== ${title}`);
      out(`   ${name} ${JSON.stringify(args)}`);
      out(indent(summarize(res)));
      out();
      return res;
    };
    const ticker = (await client.callTool({ name: "bybit_get_tickers", arguments: { category: "linear", symbol: "BTCUSDT" } })) as Result;
    const mark = ((ticker.structuredContent?.list as { markPrice: string }[] | undefined)?.[0])?.markPrice;
    out(`BTCUSDT perpetual mark price: ${mark}\n`);

    const buy = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market" };
    await call("1. Ask first: would $500 of BTC pass?", "bybit_check_order", { ...buy, qty: "0.01" });
    await call("2. Allowed: buy 0.01 BTC (~$500) — forwarded, filled, counted, audited", "bybit_place_order", { ...buy, qty: "0.01" });
    await call("3. Paused: buy 0.03 BTC (~$1,500) is over the $1,000 order cap — needs the user's re-authorization", "bybit_place_order", { ...buy, qty: "0.03" });
    await call("4. Denied: DOGEUSDT is excluded by the mandate", "bybit_place_order", { category: "linear", symbol: "DOGEUSDT", side: "Buy", order_type: "Market", qty: "100" });
    await call("5. A resting limit order", "bybit_place_order", { ...buy, order_type: "Limit", price: "48000", qty: "0.01", order_link_id: "demo-resting-1" });

    out("== 6. The user trips the kill switch: bybit-mcp halt --reason \"demo\"");
    const haltIo: CliIo = { env: { ...env }, stdout: (t) => io.stdout(indent(t.trimEnd()) + "\n"), stderr: (t) => io.stdout(indent(t.trimEnd()) + "\n") };
    await haltCommand(["--reason", "demo", "--no-cancel"], haltIo);
    out();
    await call("7. While halted, new orders are denied", "bybit_place_order", { ...buy, qty: "0.001" });
    await call("8. ...but cancels still pass (they reduce risk), and are audited", "bybit_cancel_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "demo-resting-1" });
    await call("9. Mandate status", "bybit_get_mandate_status", {});

    const paths = runtimePaths(root, "bybit");
    const verify = new AuditLedger(paths).verify();
    out(`Audit ledger: ${paths.audit}`);
    out(`Hash chain:   ${paths.auditChain} (${verify.ok ? `verified, ${verify.records} records` : `BROKEN: ${verify.reason}`})`);
    out(`Try: VIBE_RUNTIME_ROOT=${root} node ${fileURLToPath(new URL("./main.js", import.meta.url))} audit tail -n 5`);
    return verify.ok ? EXIT.OK : EXIT.CHECK_FAILED;
  } finally {
    await client.close().catch(() => undefined);
    await sim.close();
  }
};

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `   ${l}`)
    .join("\n");
}

function summarize(res: Result): string {
  const sc = res.structuredContent ?? {};
  const keep: Record<string, unknown> = {};
  for (const k of ["status", "decision", "reason", "requires_reauthorization", "broker_response", "ret_code", "ret_msg", "audit_id", "summary"]) {
    if (sc[k] !== undefined) keep[k] = sc[k];
  }
  const breach = sc.breach as Record<string, unknown> | undefined | null;
  if (breach) keep.breach = { limit: breach.limit, limit_value: breach.limit_value, attempted_value: breach.attempted_value };
  if (Object.keys(keep).length === 0) {
    const text = (res.content as { text?: string }[] | undefined)?.[0]?.text ?? "";
    return text.split("\n")[0] ?? "";
  }
  return JSON.stringify(keep, null, 2);
}
