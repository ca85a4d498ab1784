/**
 * Group appends and counts, used by the write path to audit and count a
 * batch of orders with one fsync per file.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AuditLedger, incrementTradesToday, incrementTradesTodayAsync, readTradesToday, releaseTradesToday, type AuditInput } from "../../src/state/index.js";
import { StateError } from "../../src/errors.js";
import { tempPaths } from "./helpers.js";

const input = (i: number): AuditInput => ({
  kind: "order_placed",
  session_id: "s",
  intent_normalized: `buy $${i} BTCUSDT (linear)`,
  mandate_snapshot_ref: null,
  consent_record_ref: null,
  broker_request: { i },
  broker_response: null,
  outcome: i % 2 ? "pending" : "accepted",
  gate_decision: "allow",
  server: "bybit-mcp",
  remote_tool: "bybit_place_order",
  error: null,
});

describe("AuditLedger.appendMany", () => {
  it("writes the whole group in order and keeps the chain valid across single and group appends", () => {
    const paths = tempPaths();
    const ledger = new AuditLedger(paths);
    ledger.append(input(0));
    const group = ledger.appendMany([1, 2, 3].map(input));
    ledger.append(input(4));
    expect(group.map((r) => r.intent_normalized)).toEqual(["buy $1 BTCUSDT (linear)", "buy $2 BTCUSDT (linear)", "buy $3 BTCUSDT (linear)"]);
    const lines = readFileSync(paths.auditChain, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new AuditLedger(paths).verify()).toMatchObject({ ok: true, records: 5 });
    expect(readFileSync(paths.audit, "utf8").trim().split("\n")).toHaveLength(5);
  });

  it("an empty group writes nothing", () => {
    const paths = tempPaths();
    expect(new AuditLedger(paths).appendMany([])).toEqual([]);
  });
});

describe("AuditLedger.appendManyAsync", () => {
  it("queues concurrent async appends from one process and keeps the chain valid", async () => {
    const paths = tempPaths();
    const ledgers = [new AuditLedger(paths), new AuditLedger(paths)];
    const groups = await Promise.all(Array.from({ length: 20 }, (_, i) => (ledgers[i % 2] as AuditLedger).appendManyAsync([input(i * 2), input(i * 2 + 1)])));
    expect(groups.flat()).toHaveLength(40);
    expect(new AuditLedger(paths).verify()).toMatchObject({ ok: true, records: 40 });
    const seqs = readFileSync(paths.auditChain, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("rejects with AuditError and writes nothing when the ledger path is unusable", async () => {
    const paths = tempPaths();
    mkdirSync(paths.audit, { recursive: true });
    await expect(new AuditLedger(paths).appendManyAsync([input(1)])).rejects.toMatchObject({ code: "E_AUDIT" });
    // A later append in the same process is not stuck behind the failed one.
    rmSync(paths.audit, { recursive: true });
    await expect(new AuditLedger(paths).appendManyAsync([input(2)])).resolves.toHaveLength(1);
  });
});

describe("incrementTradesToday by N", () => {
  it("adds N at once and rejects a non-positive count", () => {
    const paths = tempPaths();
    const now = Date.parse("2026-11-23T12:00:00Z");
    expect(incrementTradesToday(paths, now, 3)).toBe(3);
    expect(incrementTradesToday(paths, now)).toBe(4);
    expect(readTradesToday(paths, now)).toBe(4);
    expect(() => incrementTradesToday(paths, now, 0)).toThrow(StateError);
    writeFileSync(paths.counter, "garbage");
    expect(() => incrementTradesToday(paths, now, 2)).toThrow(StateError);
    expect(readFileSync(paths.counter, "utf8")).toBe("garbage");
  });
});

describe("releaseTradesToday", () => {
  it("gives back trades counted ahead, never below 0, and leaves another day's counter alone", async () => {
    const paths = tempPaths();
    const day1 = Date.parse("2026-11-23T23:59:59.900Z");
    const day2 = Date.parse("2026-11-24T00:00:00.100Z");
    incrementTradesToday(paths, day1, 5);
    expect(await releaseTradesToday(paths, day1, 2)).toBe(3);
    expect(await releaseTradesToday(paths, day1, 10)).toBe(0);
    expect(await incrementTradesTodayAsync(paths, day1, 4)).toBe(4);
    expect(await releaseTradesToday(paths, day2, 1)).toBe(0);
    expect(readFileSync(paths.counter, "utf8")).toBe('{"date": "2026-11-23", "count": 4}');
    await expect(releaseTradesToday(paths, day1, 0)).rejects.toThrow(StateError);
    writeFileSync(paths.counter, "{broken");
    await expect(incrementTradesTodayAsync(paths, day1, 1)).rejects.toThrow(StateError);
    expect(readFileSync(paths.counter, "utf8")).toBe("{broken");
  });
});
