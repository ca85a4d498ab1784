/**
 * The ledger as Vibe-Trading reads it, for every decision class. Its SSE
 * relay (api/sessions_routes.py) takes a tool result's first 200 characters
 * (the preview), wants `"live_action"` and an audit_id in them, then finds that
 * record in audit.jsonl scanning from the end; its frontend shows each record
 * as one event (kind, outcome, error). Done here by a python3 reader written
 * to those rules, over the files and tool results the built server produced.
 *
 * Then every record whose gate ran is replayed through the pure gate: its
 * facts give the decision it records.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayDecision, type GateTool } from "../../src/gate/index.js";
import { startSim, type Sim } from "../../src/sim/index.js";
import { packageRoot } from "../../src/util/package-root.js";
import { connect, type McpHandle } from "../helpers/mcp.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";
import { loadRuleSet } from "../../src/state/rules-files.js";

let sim: Sim;
let rt: Runtime;
let mcp: McpHandle;

const BUY_500 = { category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" };

/** Each decision class: the call that makes it, and the record the table says it writes. */
interface Case {
  name: string;
  kind: string;
  outcome: string;
  decision: string;
  text?: string;
  structured?: Record<string, any>;
}
const cases: Case[] = [];

async function run(name: string, kind: string, outcome: string, decision: string, tool: string, args: Record<string, unknown>) {
  const res = await mcp.call(tool, args);
  const text = (res.content[0] as { text: string }).text;
  cases.push({ name, kind, outcome, decision, text, structured: res.structuredContent as Record<string, any> });
}

beforeAll(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "50000");
  rt = tempRuntime();
  rt.writeMandate({ universe: { exclude_symbols: ["DOGEUSDT"] } });
  mcp = await connect({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret, VIBE_RUNTIME_ROOT: rt.root, BYBIT_HTTP_TIMEOUT: "2" });

  await run("allowed, accepted", "order_placed", "accepted", "allow", "bybit_place_order", { ...BUY_500, order_link_id: "vt-ok" });
  await run("cancel accepted", "order_placed", "accepted", "allow", "bybit_place_order", { ...BUY_500, order_type: "Limit", price: "49000", order_link_id: "vt-rest" });
  await run("cancel accepted", "order_cancelled", "accepted", "allow", "bybit_cancel_order", { category: "linear", symbol: "BTCUSDT", order_link_id: "vt-rest" });
  await run("a quantitative breach pauses", "breach", "blocked", "pause_for_reauth", "bybit_place_order", { ...BUY_500, qty: "1" });
  await run("a structural breach denies", "breach", "blocked", "deny", "bybit_place_order", { ...BUY_500, symbol: "DOGEUSDT" });
  await run("a step after the gate refuses (reused orderLinkId)", "order_rejected", "blocked", "deny", "bybit_place_order", { ...BUY_500, order_link_id: "vt-ok" });
  sim.faults.set({ next: [{ fault: "ret10006", path: "/v5/order/create" }] });
  await run("allowed, Bybit refused", "order_rejected", "error", "allow", "bybit_place_order", BUY_500);
  sim.faults.set({ next: [{ fault: "drop_before_process", path: "/v5/order/create" }] });
  await run("allowed, outcome unknown", "order_rejected", "error", "allow", "bybit_place_order", { ...BUY_500, order_link_id: "vt-lost" });
  writeFileSync(join(rt.broker, "HALT"), "");
  await run("halted", "order_rejected", "blocked", "deny", "bybit_place_order", BUY_500);
  rmSync(join(rt.broker, "HALT"));
  rt.writeMandate({ consent: { created_at: "2026-01-01T00:00:00Z", expires_at: "2026-02-01T00:00:00Z" } });
  await run("expired", "order_rejected", "blocked", "pause_for_reauth", "bybit_place_order", BUY_500);
  rmSync(join(rt.broker, "mandate.json"));
  await run("no mandate", "order_rejected", "blocked", "deny", "bybit_place_order", BUY_500);
}, 60_000);

afterAll(async () => {
  await mcp?.close();
  rt?.cleanup();
  await sim?.close();
});

/** Vibe-Trading's relay and frontend, as python: preview -> audit_id -> the record, as the chip shows it. */
const RELAY = String.raw`
import json, re, sys
ledger_path, previews = sys.argv[1], json.load(sys.stdin)
ID = re.compile(r'"audit_id"\s*:\s*"(la_[0-9a-zA-Z]+)"')
lines = open(ledger_path, encoding="utf-8").read().splitlines()
events = []
for text in previews:
    preview = text[:200]
    m = ID.search(preview) if '"live_action"' in preview else None
    record = None
    if m:
        for line in reversed(lines):
            if m.group(1) not in line:
                continue
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and r.get("audit_id") == m.group(1):
                record = r
                break
    events.append(None if record is None else {k: record.get(k) for k in ("audit_id", "kind", "outcome", "error", "remote_tool", "intent_normalized", "gate_decision", "server")})
parsed = 0
for line in lines:
    if line.strip():
        json.loads(line)
        parsed += 1
print(json.dumps({"events": events, "lines": parsed}))
`;

describe("the ledger as Vibe-Trading's relay and frontend read it", () => {
  it("one event per call, kind/outcome per the table, gate_decision an object agreeing with the tool result", () => {
    const ledger = join(rt.live, "audit.jsonl");
    const py = spawnSync("python3", ["-c", RELAY, ledger], { input: JSON.stringify(cases.map((c) => c.text)), encoding: "utf8" });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout) as { events: (Record<string, any> | null)[]; lines: number };
    // One line per gated call: every line is one event, none is a pending placeholder.
    expect(out.lines).toBe(cases.length);
    out.events.forEach((ev, i) => {
      const c = cases[i]!;
      expect(ev, c.name).not.toBeNull();
      expect([ev!.kind, ev!.outcome], c.name).toEqual([c.kind, c.outcome]);
      expect(ev!.server, c.name).toBe("bybit");
      expect(typeof ev!.gate_decision, c.name).toBe("object");
      expect(ev!.gate_decision.decision, c.name).toBe(c.structured!.decision);
      expect(ev!.gate_decision.decision, c.name).toBe(c.decision);
      expect(ev!.gate_decision.allowed, c.name).toBe(c.decision === "allow");
      expect(ev!.audit_id, c.name).toBe(c.structured!.audit_id);
      if (c.kind === "breach") expect(Object.keys(ev!.gate_decision), c.name).toEqual(["allowed", "decision", "limit", "kind", "limit_value", "attempted_value"]);
      else expect(Array.isArray(ev!.gate_decision.checked_limits), c.name).toBe(true);
      if (c.outcome === "accepted") expect(ev!.error, c.name).toBeNull();
      else expect(String(ev!.error).length, c.name).toBeGreaterThan(10);
    });
    expect(String(out.events.find((_, i) => cases[i]!.name === "allowed, outcome unknown")!.error)).toMatch(/may have executed/);
  });

  it("every record whose gate ran replays through the pure gate to the decision it records", async () => {
    const ruleSet = loadRuleSet(join(packageRoot(), "rules"));
    const records = readFileSync(join(rt.live, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    const replayed = records.filter((r) => r.facts && r.explanation);
    expect(replayed.length).toBeGreaterThanOrEqual(cases.length - 1);
    for (const r of replayed) {
      const tool = String(r.remote_tool).replace(/^bybit_/, "") as GateTool;
      const d = await replayDecision(ruleSet, tool, r.facts);
      expect([d.decision, d.decided_by], r.intent_normalized).toEqual([r.explanation.decision, r.explanation.decided_by]);
    }
  });
});
