/**
 * The state the write path reads and writes, behind small interfaces so the
 * service is handed its stores and its clock (the composition root,
 * src/compose.ts, builds the file-backed ones; tests hand in failing ones).
 */
import type { HaltState, MandateLoad } from "../gate/types.js";
import {
  AuditLedger,
  incrementTradesTodayAsync,
  readHalt,
  readTradesToday,
  releaseTradesToday,
  withOrderLock,
  type AuditInput,
  type AuditRecord,
  type RuntimePaths,
} from "../state/index.js";
import { assertLedgerWritable, findRecordByDecisionId } from "../state/ledger-find.js";
import { Journal } from "../state/journal.js";
import { mandateFileSha, readMandateFile } from "../state/mandate-file.js";
import { ApprovalStore } from "../state/approvals.js";

/** A mandate as read for one decision: the load result and the sha256 of the bytes it came from. */
export interface MandateRead {
  load: MandateLoad;
  /** sha256 hex of the file's bytes; null when there was no file to hash. */
  sha256: string | null;
}

export interface Stores {
  /** Null when BYBIT_BROKER_KEY is invalid: then every write is refused. */
  paths: RuntimePaths | null;
  ledger: Pick<AuditLedger, "appendManyAsync"> & {
    findByDecisionId(decisionId: string): AuditRecord | null;
    /** Rejects with AuditError when a record could not be appended now: then nothing is sent. */
    assertWritable(): Promise<void>;
  };
  journal: Journal | null;
  counter: {
    /** Trades counted today; throws StateError when the counter is corrupt. */
    read(nowMs: number): number;
    increment(nowMs: number, by: number): Promise<number>;
    release(nowMs: number, by: number): Promise<number>;
  };
  halt: { read(): HaltState };
  lock: { run<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> };
  mandate: {
    read(): MandateRead;
    /** The sha256 of the file's bytes now, without validating them. */
    sha(): string | null;
  };
  /** Approval requests (null without a valid broker key). */
  approvals: ApprovalStore | null;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export { isHalted } from "../state/halt.js";

/** The stores over the runtime root's files (Vibe-Trading's layout plus our journal). */
export function fileStores(paths: RuntimePaths | null, ledgerPaths: RuntimePaths, extraSecrets: string[], opts: { approvalTtlMs?: number } = {}): Stores {
  const ledger = new AuditLedger(ledgerPaths, { extraSecrets });
  const need = (): RuntimePaths => {
    if (!paths) throw new Error("no valid broker key");
    return paths;
  };
  return {
    paths,
    ledger: {
      appendManyAsync: (inputs: AuditInput[]) => ledger.appendManyAsync(inputs),
      findByDecisionId: (id: string) => findRecordByDecisionId(ledgerPaths.audit, id),
      assertWritable: async () => {
        assertLedgerWritable(ledgerPaths);
        await ledger.checkAppendable();
      },
    },
    journal: paths ? new Journal(paths) : null,
    counter: {
      read: (nowMs) => readTradesToday(need(), nowMs),
      increment: (nowMs, by) => incrementTradesTodayAsync(need(), nowMs, by),
      release: (nowMs, by) => releaseTradesToday(need(), nowMs, by),
    },
    halt: { read: () => readHalt(need()) },
    lock: { run: (timeoutMs, fn) => withOrderLock(need(), { timeoutMs }, fn) },
    mandate: { read: () => readMandateFile(need().mandate, { brokerKey: need().broker }), sha: () => mandateFileSha(need().mandate) },
    approvals: paths ? new ApprovalStore(paths, { ttlMs: opts.approvalTtlMs }) : null,
  };
}
