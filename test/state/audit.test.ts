import { Ajv } from "ajv";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditError } from "../../src/errors.js";
import { AuditLedger, canonicalJson, recordHash, type AuditInput, type RuntimePaths } from "../../src/state/index.js";
import { BASE_KEYS } from "../../src/state/audit.js";
import { packageRoot } from "../../src/util/package-root.js";
import { py, pyRun, tempPaths } from "./helpers.js";
import { PY_APPEND_CHAIN, PY_VERIFY_CHAIN } from "./pychain.js";

const NOW = Date.UTC(2026, 4, 29, 14, 3, 11, 482);

function input(over: Partial<AuditInput> = {}): AuditInput {
  return {
    kind: "order_placed",
    session_id: "sess-1",
    intent_normalized: "buy $100.00 BTCUSDT (linear)",
    mandate_snapshot_ref: "ab".repeat(32),
    consent_record_ref: "",
    broker_request: { category: "linear", symbol: "BTCUSDT", qty: "0.001", orderLinkId: "bm-1" },
    broker_response: { retCode: 0, result: { orderId: "o-1" } },
    outcome: "accepted",
    gate_decision: { allowed: true, decision: "allow", checked_limits: ["mandate"], limit_value: 10000.5 },
    server: "bybit",
    remote_tool: "place_order",
    error: null,
    ...over,
  };
}

const ledger = (p: RuntimePaths, secrets: string[] = []) => new AuditLedger(p, { nowMs: () => NOW, extraSecrets: secrets });
const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const verifyWithPython = (p: RuntimePaths) => pyRun(PY_VERIFY_CHAIN, [p.auditChain]);

describe("AuditLedger.append: record shape", () => {
  it("writes Vibe-Trading's keys in its order, then ours, with la_ ids and ms UTC timestamps", () => {
    const p = tempPaths();
    const rec = ledger(p).append(input({ extra: { decision_id: "d-1", rules_revision: "r1" } }));
    const onDisk = JSON.parse(lines(p.audit)[0]!) as Record<string, unknown>;
    expect(Object.keys(onDisk)).toEqual([...BASE_KEYS, "decision_id", "rules_revision", "redacted_paths"]);
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(rec)));
    expect(rec.audit_id).toMatch(/^la_[0-9a-f]{32}$/);
    expect(rec.ts).toBe("2026-05-29T14:03:11.482+00:00");
  });

  it("writes the line Python's json.dumps(record, ensure_ascii=False) would write", () => {
    const p = tempPaths();
    ledger(p).append(input({ intent_normalized: "buy $100.00 ÉTH ✓", gate_decision: { f: 0.1, big: 1e-7, n: [1, 2.5] } }));
    const line = lines(p.audit)[0]!;
    expect(py(`import json,sys\nsys.stdout.write(json.dumps(json.loads(sys.stdin.read()), ensure_ascii=False))`, [], line)).toBe(line);
  });

  it("validates against schemas/audit-record.schema.json, chain lines included", () => {
    const schema = JSON.parse(readFileSync(join(packageRoot(), "schemas/audit-record.schema.json"), "utf8")) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    const p = tempPaths();
    const l = ledger(p);
    l.append(input());
    l.append(input({ outcome: "pending", broker_response: null }));
    for (const line of [...lines(p.audit), ...lines(p.auditChain)]) {
      expect(validate(JSON.parse(line)), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(validate({ ...JSON.parse(lines(p.audit)[0]!), outcome: "pending" })).toBe(false);
  });

  it.each(["pending", "unknown"] as const)("maps outcome %s onto Vibe-Trading's enum: error + status", (outcome) => {
    const p = tempPaths();
    const rec = ledger(p).append(input({ outcome }));
    expect(rec.outcome).toBe("error");
    expect(rec.status).toBe(outcome);
    expect(rec.error).toMatch(new RegExp(`^outcome ${outcome}`));
    // Vibe-Trading's LiveActionOutcome values: a reader that checks them accepts the record.
    const check = `import json,sys\nr=json.loads(sys.stdin.read())\nprint(r["outcome"] in ("accepted","filled","rejected","error","blocked"))`;
    expect(py(check, [], lines(p.audit)[0]).trim()).toBe("True");
    expect(ledger(p).append(input({ outcome, error: "timeout after 10000 ms" })).error).toBe("timeout after 10000 ms");
  });

  it("refuses unknown kinds and outcomes, and extra keys that would shadow ledger keys", () => {
    const l = ledger(tempPaths());
    expect(() => l.append(input({ kind: "nope" as never }))).toThrow(AuditError);
    expect(() => l.append(input({ outcome: "done" as never }))).toThrow(AuditError);
    for (const key of ["outcome", "seq", "record_hash", "status", "redacted_paths"]) {
      expect(() => l.append(input({ extra: { [key]: 1 } })), key).toThrow(AuditError);
    }
  });
});

describe("AuditLedger.append: redaction", () => {
  it("never writes a configured secret, and records where it redacted", () => {
    const canary = "CANARY-api-secret-0123456789";
    const p = tempPaths();
    const rec = ledger(p, [canary]).append(
      input({
        broker_request: { headers: { "X-BAPI-API-KEY": canary }, note: `signed with ${canary}`, api_key: canary },
        broker_response: { retMsg: `invalid key ${canary}` },
        error: `Bybit said ${canary}`,
        extra: { debug: [canary], account_ref: "acct-7" },
      }),
    );
    for (const file of [p.audit, p.auditChain]) expect(readFileSync(file, "utf8")).not.toContain(canary);
    expect(rec.account_ref).toBe("acct-7");
    expect(rec.redacted_paths).toEqual(["broker_request.headers", "broker_request.note", "broker_request.api_key", "broker_response.retMsg", "error", "debug[0]"]);
  });
});

describe("AuditLedger: hash chain", () => {
  it("computes record_hash exactly as Python does over non-ASCII, floats and nesting", () => {
    const payload = { a: "é😀", f: 10000.5, n: { z: [1, 0.1, { y: null }] }, i: 10000 };
    const ours = recordHash(3, "sha256:genesis", payload);
    const theirs = py(
      `import hashlib,json,sys\np=json.loads(sys.stdin.read())\nb=json.dumps({"seq":3,"prev_record_hash":"sha256:genesis","payload":p},sort_keys=True,separators=(",",":"),ensure_ascii=True)\nprint(b)\nprint("sha256:"+hashlib.sha256(b.encode()).hexdigest())`,
      [],
      JSON.stringify(payload),
    );
    expect(`${canonicalJson({ seq: 3, prev_record_hash: "sha256:genesis", payload })}\n${ours}\n`).toBe(theirs);
  });

  it("writes a chain that a Python verifier (as ledger.py walks it) accepts", () => {
    const p = tempPaths();
    const l = ledger(p);
    for (let i = 0; i < 20; i++) {
      l.append(input({ intent_normalized: `sell $${i}.5 ÄÖÜ 🚀`, gate_decision: { limit_value: i + 0.25, nested: { x: [i, "ж"] } } }));
    }
    expect(verifyWithPython(p).stdout.trim()).toBe("ok 20");
    expect(l.verify()).toEqual({ ok: true, records: 20 });
    expect(lines(p.auditChain).map((x) => JSON.parse(x).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("writes each line as Python's json.dumps writes it: the record in audit.jsonl, the record plus seq, prev_record_hash, record_hash in the chain", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.appendMany([input({ intent_normalized: "buy \"q\" é😀", gate_decision: { limit_value: 10000.5, z: [0.1, null, { y: true }] } }), input({ error: "x\ny" })]);
    const script = `import json,sys
audit=[l for l in open(sys.argv[1],encoding="utf-8").read().split("\\n") if l]
chain=[l for l in open(sys.argv[2],encoding="utf-8").read().split("\\n") if l]
for a,c in zip(audit,chain):
    rec=json.loads(a)
    full=json.loads(c)
    assert json.dumps(rec,ensure_ascii=False)==a, a
    assert list(full)==list(rec)+["seq","prev_record_hash","record_hash"], c
    assert json.dumps(full,ensure_ascii=False)==c, c
print(len(chain))`;
    expect(py(script, [p.audit, p.auditChain]).trim()).toBe("2");
  });

  it("interleaves with Vibe-Trading's appender, floats like 10000.0 included", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input());
    const vibePayload = '{"audit_id": "la_' + "0".repeat(32) + '", "kind": "breach", "gate_decision": {"limit_value": 10000.0, "attempted_value": 1.0e5}, "reason": "caf\\u00e9"}';
    expect(py(PY_APPEND_CHAIN, [p.auditChain, vibePayload]).trim()).toBe("2");
    l.append(input()); // must re-verify (the file changed under us) and accept Python's floats
    expect(py(PY_APPEND_CHAIN, [p.auditChain, vibePayload]).trim()).toBe("4");
    expect(new AuditLedger(p).verify()).toEqual({ ok: true, records: 4 });
    expect(verifyWithPython(p).stdout.trim()).toBe("ok 4");
  });

  it("refuses when an earlier line was edited while another process also appended", () => {
    const p = tempPaths();
    const l = ledger(p);
    for (let i = 0; i < 3; i++) l.append(input({ session_id: `s${i}` }));
    writeFileSync(p.auditChain, readFileSync(p.auditChain, "utf8").replace('"s0"', '"S0"'));
    expect(pyRun(PY_APPEND_CHAIN, [p.auditChain, '{"x": 1}']).stdout.trim()).toBe("LedgerCorruptionError");
    // A writer that does not verify grows the file after the edit: the old bytes no longer hash as we left them.
    writeFileSync(p.auditChain, `${readFileSync(p.auditChain, "utf8")}${lines(p.auditChain)[2]}\n`);
    expect(() => l.append(input())).toThrow(/broken at seq 1 /);
  });

  it("verifies lines others appended, not only its own", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input());
    expect(py(PY_APPEND_CHAIN, [p.auditChain, '{"x": 1}']).trim()).toBe("2");
    const chain = lines(p.auditChain);
    writeFileSync(p.auditChain, `${chain[0]}\n${chain[1]!.replace('"x": 1', '"x": 2')}\n`);
    expect(() => l.append(input())).toThrow(/broken at seq 2 /);
  });

  it("continues after a line with U+2028 that Python's splitlines() would otherwise break", () => {
    const p = tempPaths();
    ledger(p).append(input({ intent_normalized: "a\u2028b\u0085c" }));
    expect(py(PY_APPEND_CHAIN, [p.auditChain, '{"x": 1}']).trim()).toBe("2");
  });

  it("detects tampering with any line, and then refuses to append", () => {
    for (let target = 1; target <= 4; target++) {
      const p = tempPaths();
      const l = ledger(p);
      for (let i = 0; i < 4; i++) l.append(input({ session_id: `s${i}` }));
      const chain = lines(p.auditChain);
      chain[target - 1] = chain[target - 1]!.replace(`"s${target - 1}"`, `"S${target - 1}"`); // same size
      writeFileSync(p.auditChain, `${chain.join("\n")}\n`);
      const before = [readFileSync(p.audit, "utf8"), readFileSync(p.auditChain, "utf8")];

      const result = l.verify();
      expect(result).toMatchObject({ ok: false, records: target - 1, brokenAtSeq: target, line: target });
      expect(result.reason).toMatch(/^record_hash_mismatch/);
      expect(verifyWithPython(p).status).toBe(1);
      expect(() => l.append(input())).toThrow(/broken at seq \d+ .*refusing to extend it/);
      expect([readFileSync(p.audit, "utf8"), readFileSync(p.auditChain, "utf8")]).toEqual(before);
    }
  });

  it("detects a deleted line, a truncated line and a reordered chain", () => {
    const cases: [string, (c: string[]) => string[], RegExp][] = [
      ["deleted", (c) => [c[0]!, c[2]!], /^seq_gap/],
      ["truncated", (c) => [c[0]!, c[1]!.slice(0, 40), c[2]!], /^malformed_json/],
      ["reordered", (c) => [c[1]!, c[0]!, c[2]!], /^seq_gap/],
    ];
    for (const [name, mutate, reason] of cases) {
      const p = tempPaths();
      const l = ledger(p);
      for (let i = 0; i < 3; i++) l.append(input());
      writeFileSync(p.auditChain, `${mutate(lines(p.auditChain)).join("\n")}\n`);
      expect(l.verify().reason, name).toMatch(reason);
      expect(() => l.append(input()), name).toThrow(AuditError);
    }
  });

  it("continues a chain whose earlier part was sealed into audit_chain.0001.jsonl", () => {
    const p = tempPaths();
    const l = ledger(p);
    l.append(input());
    l.append(input());
    renameSync(p.auditChain, join(p.live, "audit_chain.0001.jsonl"));
    l.append(input());
    expect(JSON.parse(lines(p.auditChain)[0]!).seq).toBe(3);
    expect(l.verify()).toEqual({ ok: true, records: 3 });
  });

  it("verifies an empty or missing chain as ok", () => {
    expect(ledger(tempPaths()).verify()).toEqual({ ok: true, records: 0 });
  });
});

describe("AuditLedger: failures throw AuditError", () => {
  it("when audit.jsonl cannot be written (it is a directory), leaving the chain unextended", () => {
    const p = tempPaths();
    mkdirSync(p.audit, { recursive: true });
    const err = (() => {
      try {
        ledger(p).append(input());
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe("E_AUDIT");
    expect(readFileSync(p.auditChain, "utf8")).toBe("");
  });

  it("when the chain file cannot be opened, or live/ cannot be created", () => {
    const p1 = tempPaths();
    mkdirSync(p1.auditChain, { recursive: true });
    expect(() => ledger(p1).append(input())).toThrow(AuditError);
    const p2 = tempPaths();
    mkdirSync(p2.root, { recursive: true });
    writeFileSync(p2.live, "a file");
    expect(() => ledger(p2).append(input())).toThrow(AuditError);
  });
});

describe("AuditLedger.tail", () => {
  it("returns the last n records oldest first, optionally of one kind, skipping malformed lines", () => {
    const p = tempPaths();
    const l = ledger(p);
    for (let i = 0; i < 5; i++) l.append(input({ session_id: `s${i}`, kind: i % 2 ? "breach" : "order_placed" }));
    writeFileSync(p.audit, `${readFileSync(p.audit, "utf8")}{not json\n\n`);
    expect(l.tail(2).map((r) => r.session_id)).toEqual(["s3", "s4"]);
    expect(l.tail(10, "breach").map((r) => r.session_id)).toEqual(["s1", "s3"]);
    expect(l.tail(0)).toEqual([]);
    expect(l.tailLines(1)[0]).toBe(lines(p.audit)[4]);
  });

  it("reads records spanning many chunks", () => {
    const p = tempPaths();
    const l = ledger(p);
    const big = "x".repeat(50_000);
    for (let i = 0; i < 6; i++) l.append(input({ session_id: `s${i}`, extra: { blob: big } }));
    expect(l.tail(6).map((r) => r.session_id)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
  });

  it("is empty when there is no ledger yet", () => expect(ledger(tempPaths()).tail(5)).toEqual([]));
});
