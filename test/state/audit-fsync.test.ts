/** The ledger's durability path: every append fsyncs both files; an fsync failure is an AuditError. */
import * as fs from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { AuditError } from "../../src/errors.js";
import { AuditLedger } from "../../src/state/index.js";
import { tempPaths } from "./helpers.js";

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return { ...real, fsyncSync: vi.fn(real.fsyncSync) };
});

const input = {
  kind: "order_cancelled",
  session_id: "s",
  intent_normalized: null,
  mandate_snapshot_ref: null,
  consent_record_ref: null,
  broker_request: { orderId: "o-1" },
  broker_response: null,
  outcome: "accepted",
  gate_decision: null,
  server: "bybit",
  remote_tool: "cancel_order",
  error: null,
} as const;

describe("AuditLedger fsync", () => {
  it("fsyncs audit.jsonl, the chain and the remembered tip on every append, and the directory when the chain is created", () => {
    const fsync = vi.mocked(fs.fsyncSync);
    const l = new AuditLedger(tempPaths());
    fsync.mockClear();
    l.append(input);
    expect(fsync).toHaveBeenCalledTimes(4);
    fsync.mockClear();
    l.append(input);
    // audit.jsonl, audit_chain.jsonl, .audit_chain_tip.json (its directory entry is not fsync'd: a lost rename only leaves a stale tip)
    expect(fsync).toHaveBeenCalledTimes(3);
  });

  it("throws AuditError when fsync fails (a record that may not survive a crash is not a record)", () => {
    const fsync = vi.mocked(fs.fsyncSync);
    const l = new AuditLedger(tempPaths());
    fsync.mockImplementationOnce(() => {
      throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
    });
    expect(() => l.append(input)).toThrow(AuditError);
  });
});
