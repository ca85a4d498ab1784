/**
 * The server's ledger path (appendManyAsync) makes both files durable before
 * it returns, and a failed fsync is an AuditError, never a silent success.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { AuditLedger, type AuditInput } from "../../src/state/index.js";
import { writesSettled } from "../../src/state/pending-writes.js";
import * as fsio from "../../src/state/fsio.js";
import { tempPaths } from "./helpers.js";

vi.mock("../../src/state/fsio.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/state/fsio.js")>();
  return { ...original, fsyncAsync: vi.fn(original.fsyncAsync) };
});

const input: AuditInput = {
  kind: "order_placed",
  session_id: "s",
  intent_normalized: "buy $1.00 BTCUSDT (linear)",
  mandate_snapshot_ref: null,
  consent_record_ref: null,
  broker_request: {},
  broker_response: null,
  outcome: "pending",
  gate_decision: "allow",
  server: "bybit-mcp",
  remote_tool: "bybit_place_order",
  error: null,
};

describe("appendManyAsync durability", () => {
  it("fsyncs audit.jsonl and the chain once per group, before resolving", async () => {
    const fsync = vi.mocked(fsio.fsyncAsync);
    fsync.mockClear();
    const ledger = new AuditLedger(tempPaths());
    await ledger.appendManyAsync([input, input, input]);
    expect(fsync).toHaveBeenCalledTimes(2);
  });

  it("a failed fsync rejects with AuditError", async () => {
    const fsync = vi.mocked(fsio.fsyncAsync);
    fsync.mockRejectedValueOnce(Object.assign(new Error("EIO"), { code: "EIO" }));
    await expect(new AuditLedger(tempPaths()).appendManyAsync([input])).rejects.toMatchObject({ code: "E_AUDIT" });
  });

  it("moves the chain tip file forward behind the appends: once they settle it names the last record, and no temp file is left", async () => {
    const p = tempPaths();
    const ledger = new AuditLedger(p);
    const all = await Promise.all(Array.from({ length: 12 }, () => ledger.appendManyAsync([input, input])));
    expect(all.flat()).toHaveLength(24);
    await writesSettled();
    const chain = readFileSync(p.auditChain, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { seq: number; record_hash: string });
    const last = chain[chain.length - 1]!;
    expect(last.seq).toBe(24);
    expect(JSON.parse(readFileSync(p.auditTip, "utf8"))).toEqual({ seq: 24, record_hash: last.record_hash });
    expect(readdirSync(p.live).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(new AuditLedger(p).verify()).toEqual({ ok: true, records: 24 });
  });
});
