/**
 * `bybit-mcp approvals`, `approve`, `reject` through the built CLI: the list
 * in plain words, a verdict only with --yes or a yes typed on a terminal
 * after the question, one sentence and exit 1 for ids that cannot be
 * decided, exit 2 naming --yes when there is no one to ask.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalStore, runtimePaths, type ApprovalInput } from "../../src/state/index.js";
import { CLI, assertBuilt } from "../helpers/mcp.js";
import { runInPty } from "../helpers/pty.js";
import { tempRuntime, type Runtime } from "../helpers/runtime.js";

const runtimes: Runtime[] = [];
afterEach(() => {
  for (const r of runtimes.splice(0)) r.cleanup();
});

const INPUT: ApprovalInput = {
  decision_id: "dec_paused1",
  intent_normalized: "buy $1,250.00 BTCUSDT (linear)",
  reason: "order notional $1,250.00 exceeds max_order_notional_usd $1,000.00",
  order: { tool: "place_order", remote_tool: "bybit_place_order", body: { category: "linear", symbol: "BTCUSDT", side: "Buy", orderType: "Market", qty: "0.025" } },
  breaches: [{ limit: "max_order_notional_usd", kind: "quantitative", limit_value: 1000, attempted_value: 1250, detail: "order notional $1,250.00 exceeds max_order_notional_usd $1,000.00" }],
  price_tolerance_pct: "1",
};

function setup() {
  assertBuilt();
  const rt = tempRuntime();
  runtimes.push(rt);
  const env = { PATH: process.env.PATH ?? "", HOME: "/nonexistent", VIBE_RUNTIME_ROOT: rt.root, TERM: "xterm" };
  const store = new ApprovalStore(runtimePaths(rt.root, "bybit"));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env, input: "", encoding: "utf8", timeout: 20_000 });
  const pty = (args: string[], answer: string, question = String.raw`Approve this one order\? \[y/N\]: `) =>
    runInPty([process.execPath, CLI, ...args], env, [{ expect: question, send: `${answer}\r` }]);
  return { rt, store, cli, pty };
}

const fileOf = (rt: Runtime, id: string) => JSON.parse(readFileSync(join(rt.broker, "approvals", `${id}.json`), "utf8"));

describe("bybit-mcp approvals", () => {
  it("lists pending requests in plain words; --all adds decided ones; --json is the data", () => {
    const { store, cli } = setup();
    expect(cli(["approvals"]).stdout).toBe("no pending approval requests for broker bybit\n");
    const older = store.create(INPUT);
    const rejected = store.create({ ...INPUT, intent_normalized: "sell $2,000.00 ETHUSDT (linear)" });
    store.decide(rejected.id, "rejected", "console");
    const r = cli(["approvals"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${older.id}  pending, expires in 10 min`);
    expect(r.stdout).toContain("  order:   buy $1,250.00 BTCUSDT (linear)");
    expect(r.stdout).toContain("  breach:  order notional $1,250.00 exceeds max_order_notional_usd $1,000.00");
    expect(r.stdout).toContain(`bybit-mcp approve ${older.id}`);
    expect(r.stdout).not.toContain(rejected.id);
    const all = cli(["approvals", "--all"]).stdout;
    expect(all).toMatch(new RegExp(`${rejected.id}  rejected \\(console, `));
    expect(all).toContain(older.id);
    const json = JSON.parse(cli(["approvals", "--all", "--json"]).stdout) as { id: string; status: string }[];
    expect(json.map((x) => x.id).sort()).toEqual([older.id, rejected.id].sort());
    expect(json.find((x) => x.id === rejected.id)?.status).toBe("rejected");
  });

  it("answers --help for each command", () => {
    const { cli } = setup();
    for (const cmd of ["approvals", "approve", "reject"]) {
      const r = cli([cmd, "--help"]);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toContain(`Usage: bybit-mcp ${cmd}`);
    }
    expect(cli(["--help"]).stdout).toMatch(/approve ID \[--yes\]/);
  });
});

describe("bybit-mcp approve / reject with --yes", () => {
  it("approve --yes shows the order and breach, writes decided_by cli, logs to stderr and appends nothing to the ledger", () => {
    const { rt, store, cli } = setup();
    const r0 = store.create(INPUT);
    const r = cli(["approve", r0.id, "--yes", "--note", "one time"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("order notional $1,250.00 exceeds max_order_notional_usd $1,000.00");
    expect(r.stdout).toContain("bybit_place_order: linear BTCUSDT Buy Market qty 0.025");
    expect(r.stdout).toContain("allows:     this one order, up to the values above plus 1% for the price moving; more pauses again");
    expect(r.stdout).toContain(`approved ${r0.id}: the identical order retried with approval_id ${r0.id} goes through once`);
    expect(fileOf(rt, r0.id)).toMatchObject({ status: "approved", decided_by: "cli", decided_note: "one time" });
    const log = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toContainEqual(expect.objectContaining({ level: "info", msg: "approval approved", approval_id: r0.id, decided_by: "cli", decision_id: "dec_paused1" }));
    expect(existsSync(join(rt.live, "audit.jsonl"))).toBe(false);
  });

  it("reject --yes rejects, and the same id can then be neither approved nor rejected", () => {
    const { rt, store, cli } = setup();
    const r0 = store.create(INPUT);
    const r = cli(["reject", r0.id, "--yes"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`rejected ${r0.id}: a retry with it is refused`);
    expect(fileOf(rt, r0.id).status).toBe("rejected");
    const again = cli(["approve", r0.id, "--yes"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^approve: ${r0.id} was already rejected \\(cli, [^)]+\\)\\n$`));
    expect(fileOf(rt, r0.id).status).toBe("rejected");
  });

  it("exits 1 with one sentence for an unknown, malformed, used or expired id", () => {
    const { rt, store, cli } = setup();
    const used = store.create(INPUT);
    store.decide(used.id, "approved", "cli");
    store.consume(used.id, "dec_retry");
    const expired = new ApprovalStore(runtimePaths(rt.root, "bybit"), { ttlMs: 1, nowMs: () => Date.now() - 1000 }).create(INPUT);
    const cases: [string, RegExp][] = [
      [`apr_${"0".repeat(32)}`, /^approve: there is no approval request "apr_0{32}" for broker bybit \(see 'bybit-mcp approvals'\)\n$/],
      ["../../mandate", /^approve: there is no approval request "..\/..\/mandate" for broker bybit/],
      [used.id, new RegExp(`^approve: ${used.id} was already used by dec_retry at \\S+Z\\n$`)],
      [expired.id, new RegExp(`^approve: ${expired.id} expired at \\S+Z; the agent's retry will pause again with a new request\\n$`)],
    ];
    for (const [id, want] of cases) {
      const r = cli(["approve", id, "--yes"]);
      expect(r.status, id).toBe(1);
      expect(r.stderr, id).toMatch(want);
    }
    expect(fileOf(rt, used.id).status).toBe("consumed");
  });

  it("without a terminal and without --yes exits 2 naming --yes, and decides nothing", () => {
    const { rt, store, cli } = setup();
    const r0 = store.create(INPUT);
    for (const verb of ["approve", "reject"]) {
      const r = cli([verb, r0.id]);
      expect(r.status, verb).toBe(2);
      expect(r.stderr).toContain("--yes");
    }
    expect(fileOf(rt, r0.id).status).toBe("pending");
    expect(cli(["approve"]).status).toBe(2);
    expect(cli(["approve", r0.id, r0.id, "--yes"]).status).toBe(2);
    expect(fileOf(rt, r0.id).status).toBe("pending");
  });
});

describe("bybit-mcp approve on a terminal", () => {
  it("asks after showing the order; n leaves it pending, y approves it", () => {
    const { rt, store, pty } = setup();
    const r0 = store.create(INPUT);
    const no = pty(["approve", r0.id], "n");
    expect(no.status, no.transcript).toBe(1);
    expect(no.transcript).toMatch(/breach: +order notional \$1,250\.00 exceeds max_order_notional_usd \$1,000\.00[\s\S]*allows: +this one order[\s\S]*expires: +in 10 min \([\s\S]*Approve this one order\? \[y\/N\]: n/);
    expect(no.transcript).toContain(`not confirmed; ${r0.id} is still pending`);
    expect(fileOf(rt, r0.id).status).toBe("pending");
    const yes = pty(["approve", r0.id], "y");
    expect(yes.status, yes.transcript).toBe(0);
    expect(yes.transcript).toContain(`approved ${r0.id}`);
    expect(fileOf(rt, r0.id)).toMatchObject({ status: "approved", decided_by: "cli" });
  });

  it("reject asks its own question and rejects on y", () => {
    const { rt, store, pty } = setup();
    const r0 = store.create(INPUT);
    const r = pty(["reject", r0.id], "y", String.raw`Reject this order\? \[y/N\]: `);
    expect(r.status, r.transcript).toBe(0);
    expect(r.transcript).toContain(`rejected ${r0.id}`);
    expect(fileOf(rt, r0.id)).toMatchObject({ status: "rejected", decided_by: "cli" });
  });
});
