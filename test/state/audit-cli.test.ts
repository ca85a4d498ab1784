import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { auditCommand } from "../../src/cli/audit.js";
import { AuditLedger, type RuntimePaths } from "../../src/state/index.js";
import { tempPaths } from "./helpers.js";

async function run(argv: string[], p: RuntimePaths, env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await auditCommand(argv, {
    env: { VIBE_RUNTIME_ROOT: p.root, HOME: "/nonexistent", ...env },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

function seed(p: RuntimePaths, n: number): void {
  const l = new AuditLedger(p);
  for (let i = 0; i < n; i++) {
    l.append({
      kind: i === 1 ? "breach" : "order_placed",
      session_id: `s${i}`,
      intent_normalized: null,
      mandate_snapshot_ref: null,
      consent_record_ref: null,
      broker_request: { qty: "1.0" },
      broker_response: null,
      outcome: i === 1 ? "blocked" : "accepted",
      gate_decision: { cap: 100.5 },
      server: "bybit",
      remote_tool: "place_order",
      error: null,
    });
  }
}

describe("audit tail", () => {
  it("prints the last records as JSON lines, oldest first, default 20", async () => {
    const p = tempPaths();
    seed(p, 25);
    const r = await run(["tail"], p);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { session_id: string });
    expect(out.map((x) => x.session_id)).toEqual(Array.from({ length: 20 }, (_, i) => `s${i + 5}`));
  });

  it("honours -n and --kind", async () => {
    const p = tempPaths();
    seed(p, 4);
    expect((await run(["tail", "-n", "1"], p)).stdout).toContain('"session_id": "s3"');
    const breaches = await run(["tail", "--kind", "breach"], p);
    expect(breaches.stdout.trim().split("\n")).toHaveLength(1);
    expect(breaches.stdout).toContain('"outcome": "blocked"');
  });

  it("reads the broker from BYBIT_BROKER_KEY and prints nothing for an empty ledger", async () => {
    const r = await run(["tail"], tempPaths(), { BYBIT_BROKER_KEY: "Bybit" });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});

describe("audit verify", () => {
  it("exits 0 with the record count for an intact chain", async () => {
    const p = tempPaths();
    seed(p, 3);
    expect(await run(["verify"], p)).toEqual({ code: 0, stdout: "chain ok: 3 records\n", stderr: "" });
  });

  it("exits 1 naming the broken seq and why", async () => {
    const p = tempPaths();
    seed(p, 3);
    writeFileSync(p.auditChain, readFileSync(p.auditChain, "utf8").replace('"s1"', '"sX"'));
    const r = await run(["verify"], p);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^chain broken at seq 2 \(.*audit_chain\.jsonl:2\): record_hash_mismatch: .*; 1 records verified before it\n$/);
  });

  it("exits 1 for a chain truncated to a valid prefix, naming the seq and file where it broke", async () => {
    const p = tempPaths();
    seed(p, 6);
    writeFileSync(p.auditChain, `${readFileSync(p.auditChain, "utf8").split("\n").slice(0, 3).join("\n")}\n`);
    const r = await run(["verify"], p);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `chain broken at seq 4 (${p.auditChain}): audit_chain.jsonl was truncated: it ends at seq 3 but seq 6 was written; 3 records verified before it\n`,
    );
  });

  it("exits 1 for a rewritten chain, naming the seq, file and line", async () => {
    const p = tempPaths();
    seed(p, 3);
    const other = tempPaths();
    seed(other, 3);
    writeFileSync(p.auditChain, readFileSync(other.auditChain));
    const r = await run(["verify"], p);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^chain broken at seq 3 \\(${p.auditChain}:3\\): audit_chain\\.jsonl was rewritten: seq 3 now has record_hash`));
  });
});

describe("usage", () => {
  it("prints help with exit 0", async () => {
    for (const argv of [["--help"], ["tail", "--help"], ["verify", "-h"]]) {
      const r = await run(argv, tempPaths());
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: bybit-mcp audit tail/);
    }
  });

  it.each([
    [[]],
    [["frobnicate"]],
    [["tail", "-n", "0"]],
    [["tail", "-n", "x"]],
    [["tail", "--kind", "nope"]],
    [["tail", "--bogus"]],
    [["verify", "extra"]],
  ])("exits 2 with one line for %j", async (argv) => {
    const r = await run(argv, tempPaths());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 for an invalid BYBIT_BROKER_KEY", async () => {
    const r = await run(["verify"], tempPaths(), { BYBIT_BROKER_KEY: "../etc" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BYBIT_BROKER_KEY/);
  });
});

describe("audit export (files)", () => {
  it("copies both files and the sealed segments, verifies the copy, and never overwrites", async () => {
    const p = tempPaths();
    seed(p, 3);
    // Seal the chain so far as ledger.py rotates it: the active file then continues from the segment.
    writeFileSync(p.auditChain.replace(/\.jsonl$/, ".0001.jsonl"), readFileSync(p.auditChain));
    writeFileSync(p.auditChain, "");
    seed(p, 2);
    const out = `${p.root}/export`;
    const r = await run(["export", "--to", out], p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/exported 5 records .*; chain ok/);
    expect(readFileSync(`${out}/audit.jsonl`, "utf8").trim().split("\n")).toHaveLength(5);
    expect(readFileSync(`${out}/audit_chain.0001.jsonl`, "utf8").trim().split("\n")).toHaveLength(3);
    const again = await run(["export", "--to", out], p);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});
