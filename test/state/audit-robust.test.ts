/**
 * The ledger under crashes and tampering: torn last lines, a record left in
 * one file only, a chain cut back to a valid prefix or rewritten, and state
 * paths that are not regular files.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { AuditError } from "../../src/errors.js";
import { AuditLedger, buildRecord, pyDumps, recordHash, type AuditInput, type RuntimePaths } from "../../src/state/index.js";
import { assertLedgerWritable } from "../../src/state/ledger-find.js";
import { compiledStateModule, mkfifoWithWatchdog, nodeChild, py, pyRun, tempPaths } from "./helpers.js";
import { PY_APPEND_CHAIN, PY_VERIFY_CHAIN } from "./pychain.js";

const NOW = Date.UTC(2026, 4, 29, 14, 3, 11, 482);
const input = (session = "s"): AuditInput => ({
  kind: "order_placed",
  session_id: session,
  intent_normalized: "buy $100.00 BTCUSDT (linear)",
  mandate_snapshot_ref: null,
  consent_record_ref: null,
  broker_request: { qty: "0.001", orderLinkId: `bm-${session}` },
  broker_response: { retCode: 0 },
  outcome: "accepted",
  gate_decision: { allowed: true, decision: "allow", limit_value: 10000.5 },
  server: "bybit",
  remote_tool: "bybit_place_order",
  error: null,
});
const ledger = (p: RuntimePaths) => new AuditLedger(p, { nowMs: () => NOW });
const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const ids = (file: string) => lines(file).map((l) => (JSON.parse(l) as { audit_id?: string }).audit_id);
const chainOk = (p: RuntimePaths) => pyRun(PY_VERIFY_CHAIN, [p.auditChain]).stdout.trim();

/** Append one record from a fresh Node process (a restarted server: nothing remembered in memory). */
async function appendFromNewProcess(p: RuntimePaths, session: string) {
  const mod = pathToFileURL(compiledStateModule()).href;
  return nodeChild(
    `const s = await import(${JSON.stringify(mod)});
     const l = new s.AuditLedger(s.runtimePaths(${JSON.stringify(p.root)}, "bybit"));
     try { const r = l.append(${JSON.stringify(input(session))}); console.log(r.audit_id); }
     catch (e) { console.log(e.code + " " + e.message); process.exit(3); }`,
  );
}

describe("torn last lines", () => {
  it("audit.jsonl: a fragment without its newline does not swallow the next record", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input("a"));
    appendFileSync(p.audit, '{"audit_id": "la_torn", "ts": "2026-');
    const rec = l.append(input("b"));
    const all = readFileSync(p.audit, "utf8").split("\n");
    expect(all).toContain('{"audit_id": "la_torn", "ts": "2026-');
    expect(JSON.parse(all[2]!).audit_id).toBe(rec.audit_id);
    expect(l.tail(5).map((r) => r.session_id)).toEqual(["a", "b"]);
  });

  it("the chain: an unparseable fragment is cut back, and ledger.py's verifier still accepts the chain", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input("a"));
    l.append(input("b"));
    const before = readFileSync(p.auditChain, "utf8");
    appendFileSync(p.auditChain, lines(p.auditChain)[1]!.slice(0, 50)); // a crash mid-append
    const rec = l.append(input("c"));
    const chain = readFileSync(p.auditChain, "utf8");
    expect(chain.startsWith(before)).toBe(true);
    expect(lines(p.auditChain)).toHaveLength(3);
    expect(JSON.parse(lines(p.auditChain)[2]!)).toMatchObject({ seq: 3, audit_id: rec.audit_id });
    expect(l.verify()).toEqual({ ok: true, records: 3 });
    expect(chainOk(p)).toBe("ok 3");
    expect(py(PY_APPEND_CHAIN, [p.auditChain, '{"x": 1}']).trim()).toBe("4");
  });

  it("the chain: a last line that only lost its newline is kept and terminated", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input("a"));
    writeFileSync(p.auditChain, readFileSync(p.auditChain, "utf8").trimEnd());
    l.append(input("b"));
    expect(lines(p.auditChain).map((x) => JSON.parse(x).seq)).toEqual([1, 2]);
    expect(chainOk(p)).toBe("ok 2");
  });
});

describe("a record never stands in one file only", () => {
  /** Two records in both files, then a third of ours that reached audit.jsonl only (the crash between the writes). */
  function crashedBetweenWrites(p: RuntimePaths) {
    const l = ledger(p);
    l.append(input("a"));
    l.append(input("b"));
    const orphan = buildRecord(input("orphan"), NOW);
    appendFileSync(p.audit, `${pyDumps(orphan)}\n`);
    return orphan;
  }

  it("reconcile() appends the missing chain copy once, in a chain both verifiers accept", () => {
    const p = tempPaths();
    const orphan = crashedBetweenWrites(p);
    const l = ledger(p);
    expect(l.reconcile()).toEqual({ toChain: 1, toAudit: 0 });
    expect(ids(p.auditChain)).toEqual(ids(p.audit));
    const copy = JSON.parse(lines(p.auditChain)[2]!) as Record<string, unknown>;
    expect(copy).toMatchObject({ seq: 3, audit_id: orphan.audit_id, session_id: "orphan" });
    expect(l.verify()).toEqual({ ok: true, records: 3 });
    expect(chainOk(p)).toBe("ok 3");
    expect(l.reconcile()).toEqual({ toChain: 0, toAudit: 0 });
    expect(lines(p.auditChain)).toHaveLength(3);
  });

  it("the first append of a restarted process reconciles before writing its own record", async () => {
    const p = tempPaths();
    const orphan = crashedBetweenWrites(p);
    const r = await appendFromNewProcess(p, "after");
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(ids(p.auditChain)).toEqual([...ids(p.audit)]);
    expect(ids(p.auditChain).slice(2)).toEqual([orphan.audit_id, r.stdout.trim()]);
    expect(chainOk(p)).toBe("ok 4");
  });

  it("a torn chain copy (crash mid-append of the chain) is cut and chained again whole", async () => {
    const p = tempPaths();
    const orphan = crashedBetweenWrites(p);
    const hash = (JSON.parse(lines(p.auditChain)[1]!) as { record_hash: string }).record_hash;
    const full = pyDumps({ ...orphan, seq: 3, prev_record_hash: hash, record_hash: recordHash(3, hash, orphan) });
    appendFileSync(p.auditChain, full.slice(0, full.length - 30));
    expect(ledger(p).reconcile()).toEqual({ toChain: 1, toAudit: 0 });
    expect(lines(p.auditChain)[2]).toBe(full);
    expect(chainOk(p)).toBe("ok 3");
  });

  it("a record in the chain only (its audit.jsonl write was lost) is written back to audit.jsonl", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input("a"));
    const lost = buildRecord(input("lost"), NOW);
    const hash = (JSON.parse(lines(p.auditChain)[0]!) as { record_hash: string }).record_hash;
    appendFileSync(p.auditChain, `${pyDumps({ ...lost, seq: 2, prev_record_hash: hash, record_hash: recordHash(2, hash, lost) })}\n`);
    expect(ledger(p).reconcile()).toEqual({ toChain: 0, toAudit: 1 });
    expect(lines(p.audit)[1]).toBe(pyDumps(lost));
    expect(ids(p.audit)).toEqual(ids(p.auditChain));
  });

  it("leaves Vibe-Trading's records alone, and copies nothing when the files share no record", () => {
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    // Vibe-Trading's own record, in audit.jsonl only (its writer swallows chain failures): not ours to copy.
    writeFileSync(p.audit, '{"audit_id": "la_vt", "kind": "breach"}\n');
    const l = ledger(p);
    expect(l.reconcile()).toEqual({ toChain: 0, toAudit: 0 });
    l.append(input("a"));
    expect(ids(p.auditChain)).toEqual([expect.any(String)]);
    expect(ids(p.audit)).toEqual(["la_vt", ids(p.auditChain)[0]]);
  });
});

describe("the remembered chain tip", () => {
  function sixRecords(p: RuntimePaths) {
    const l = ledger(p);
    for (let i = 0; i < 6; i++) l.append(input(`s${i}`));
    return l;
  }

  it("is written next to the chain after each append", () => {
    const p = tempPaths();
    sixRecords(p);
    const last = JSON.parse(lines(p.auditChain)[5]!) as { record_hash: string };
    expect(JSON.parse(readFileSync(p.auditTip, "utf8"))).toEqual({ seq: 6, record_hash: last.record_hash });
  });

  it("a chain truncated to a valid prefix is refused on every append, in this process and a new one", async () => {
    const p = tempPaths();
    const l = sixRecords(p);
    const keep = lines(p.auditChain).slice(0, 3);
    writeFileSync(p.auditChain, `${keep.join("\n")}\n`);
    const before = [readFileSync(p.audit, "utf8"), readFileSync(p.auditChain, "utf8")];
    const msg = "audit_chain.jsonl was truncated: it ends at seq 3 but seq 6 was written";
    expect(() => l.append(input("x"))).toThrow(AuditError);
    expect(() => l.append(input("x"))).toThrow(msg);
    expect(() => ledger(p).reconcile()).toThrow(msg);
    await expect(ledger(p).appendManyAsync([input("y")])).rejects.toThrow(msg);
    const child = await appendFromNewProcess(p, "z");
    expect(child.status).toBe(3);
    expect(child.stdout).toContain(`E_AUDIT ${msg}`);
    expect([readFileSync(p.audit, "utf8"), readFileSync(p.auditChain, "utf8")]).toEqual(before);
    expect(ledger(p).verify()).toMatchObject({ ok: false, brokenAtSeq: 4, file: p.auditChain, reason: msg });
  });

  it("a rewritten chain (another valid chain of the same length) is refused", () => {
    const p = tempPaths();
    sixRecords(p);
    const other = tempPaths();
    sixRecords(other);
    writeFileSync(p.auditChain, readFileSync(other.auditChain));
    expect(() => ledger(p).append(input("x"))).toThrow(/audit_chain\.jsonl was rewritten: seq 6 now has record_hash sha256:[0-9a-f]+ but sha256:[0-9a-f]+ was written/);
    expect(ledger(p).verify()).toMatchObject({ ok: false, brokenAtSeq: 6, file: p.auditChain, line: 6 });
  });

  it("growth by another process (Vibe-Trading's appender) is fine, before and after a restart", async () => {
    const p = tempPaths();
    sixRecords(p);
    expect(py(PY_APPEND_CHAIN, [p.auditChain, '{"x": 1.0}']).trim()).toBe("7");
    expect((await appendFromNewProcess(p, "n")).status).toBe(0);
    expect(py(PY_APPEND_CHAIN, [p.auditChain, '{"x": 2.0}']).trim()).toBe("9");
    ledger(p).append(input("m"));
    expect(ledger(p).verify()).toEqual({ ok: true, records: 10 });
    expect(chainOk(p)).toBe("ok 10");
  });

  it("keeps working across sealed segments, also when the tip lies in an older one", () => {
    const p = tempPaths();
    const l = ledger(p);
    for (let i = 0; i < 3; i++) l.append(input(`s${i}`)); // tip: seq 3
    renameSync(p.auditChain, join(p.live, "audit_chain.0001.jsonl"));
    const seg1Last = JSON.parse(lines(join(p.live, "audit_chain.0001.jsonl"))[2]!) as { record_hash: string };
    // Vibe-Trading continues the chain from the sealed segment, then seals again.
    let prev = seg1Last.record_hash;
    for (const seq of [4, 5]) {
      const payload = { audit_id: `la_vt${seq}`, kind: "breach" };
      const record_hash = recordHash(seq, prev, payload);
      appendFileSync(p.auditChain, `${JSON.stringify({ ...payload, seq, prev_record_hash: prev, record_hash })}\n`);
      prev = record_hash;
    }
    renameSync(p.auditChain, join(p.live, "audit_chain.0002.jsonl"));
    const rec = ledger(p).append(input("after"));
    expect(JSON.parse(lines(p.auditChain)[0]!)).toMatchObject({ seq: 6, audit_id: rec.audit_id });
    expect(ledger(p).verify()).toEqual({ ok: true, records: 6 });
    // Cutting the older segment back is still seen.
    truncateSync(join(p.live, "audit_chain.0001.jsonl"), 0);
    expect(ledger(p).verify().ok).toBe(false);
  });
});

describe("ledger paths that are not regular files", () => {
  it("a FIFO at audit.jsonl or audit_chain.jsonl fails at once with AuditError", async () => {
    for (const which of ["audit", "auditChain"] as const) {
      const p = tempPaths();
      mkdirSync(p.live, { recursive: true });
      mkfifoWithWatchdog(p[which]);
      const started = Date.now();
      expect(() => ledger(p).append(input())).toThrow(/is a FIFO, not a regular file/);
      await expect(ledger(p).appendManyAsync([input()])).rejects.toThrow(AuditError);
      expect(Date.now() - started).toBeLessThan(1000);
      if (which === "audit") expect(() => ledger(p).tail(1)).toThrow(/is a FIFO/);
      else expect(ledger(p).verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/is a FIFO/) });
    }
  });

  it("a tip file that is not a valid tip stops appends instead of being ignored", () => {
    const p = tempPaths();
    ledger(p).append(input());
    writeFileSync(p.auditTip, "{garbage");
    writeFileSync(p.auditChain, readFileSync(p.auditChain)); // touch: force a full read
    expect(() => ledger(p).append(input())).toThrow(/is not a valid chain tip/);
    expect(ledger(p).verify()).toMatchObject({ ok: false, file: p.auditTip });
  });
});

describe("assertLedgerWritable", () => {
  it("refuses at once, naming it, when audit.jsonl or the chain is a FIFO or a device", () => {
    for (const which of ["audit", "auditChain"] as const) {
      const p = tempPaths();
      mkdirSync(p.live, { recursive: true });
      mkfifoWithWatchdog(p[which]);
      const started = Date.now();
      expect(() => assertLedgerWritable(p)).toThrow(`${p[which]} is a FIFO, not a regular file`);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    const p = tempPaths();
    mkdirSync(p.live, { recursive: true });
    symlinkSync("/dev/null", p.audit); // writes would "succeed" into nothing
    expect(() => assertLedgerWritable(p)).toThrow(/is a character device/);
    const ok = tempPaths();
    expect(() => assertLedgerWritable(ok)).not.toThrow();
  });
});
