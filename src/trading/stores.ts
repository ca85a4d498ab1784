/**
 * The state the write path reads and writes, behind small interfaces so the
 * service is handed its stores and its clock. Two implementations:
 *  - files (fileStores, below): the runtime root, Vibe-Trading's layout;
 *  - postgres (src/state/pg/): shared by every host of one broker.
 * The composition root, src/compose.ts, picks one; tests hand in failing ones.
 *
 * Everything a decision reads is async (a database answers over the wire).
 * The two reads of the last check before the wire — halt.current() and
 * mandate.sha() — are synchronous, so nothing waits between them and the
 * send: the file store reads the files, the database store answers from
 * what LISTEN/NOTIFY told it, and fails closed while it cannot listen.
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
import { Journal, type JournalClose, type JournalEntry, type JournalOpen } from "../state/journal.js";
import { mandateFileSha, readMandateFile } from "../state/mandate-file.js";
import { ApprovalStore, asyncApprovals, type ApprovalsStore } from "../state/approvals.js";

/** A mandate as read for one decision: the load result and the sha256 of the bytes it came from. */
export interface MandateRead {
  load: MandateLoad;
  /** sha256 hex of the mandate's bytes; null when there were none to hash. */
  sha256: string | null;
}

export interface AppendOptions {
  release?: { nowMs: number; by: number };
  onReleaseError?: (err: unknown) => void;
}

/** The write-ahead journal (state/journal.ts for files). Read it under the order lock. */
export interface JournalStore {
  /** Entries opened and not closed (catching up with other writers first). */
  openEntries(): Promise<JournalEntry[]>;
  /** The entry that used this orderLinkId, if still held. */
  byOrderLinkId(orderLinkId: string): Promise<JournalEntry | undefined>;
  /** Durable before it resolves: only then may the orders be sent. */
  open(lines: JournalOpen[]): Promise<void>;
  close(lines: JournalClose[]): Promise<void>;
  /** Drop closed entries of days before `today`. */
  compact(today: string): Promise<void>;
}

export interface Stores {
  /** "files" or "postgres": said in status and logs. */
  backend: "files" | "postgres";
  /** Null when BYBIT_BROKER_KEY is invalid: then every write is refused. */
  paths: RuntimePaths | null;
  ledger: {
    /**
     * Append the records. With `release`, the trades of orders proven not
     * executed are given back with them (on PostgreSQL in the same
     * transaction: the records and the count move together). A give-back
     * that fails after the records were written goes to onReleaseError:
     * over-counting is the safe side.
     */
    appendManyAsync(inputs: AuditInput[], opts?: AppendOptions): Promise<AuditRecord[]>;
    findByDecisionId(decisionId: string): Promise<AuditRecord | null>;
    /** Rejects with AuditError when a record could not be appended now: then nothing is sent. */
    assertWritable(): Promise<void>;
  };
  journal: JournalStore | null;
  counter: {
    /** Trades counted today; rejects with StateError when the counter is corrupt. */
    read(nowMs: number): Promise<number>;
    increment(nowMs: number, by: number): Promise<number>;
    release(nowMs: number, by: number): Promise<number>;
  };
  halt: {
    read(): Promise<HaltState>;
    /** The halt state now, synchronously (the last check before the wire). */
    current(): HaltState;
  };
  lock: {
    run<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T>;
    /** False once the lock this process holds may have been lost (a database connection dropped): nothing more is sent under it. */
    held(): boolean;
  };
  mandate: {
    read(): Promise<MandateRead>;
    /** The sha256 of the mandate in force now, synchronously, without validating it. */
    sha(): string | null;
  };
  /** Approval requests (null without a valid broker key). */
  approvals: ApprovalsStore | null;
  /** Release connections and listeners. */
  close(): Promise<void>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export { isHalted } from "../state/halt.js";

/** The file journal behind the async interface: it catches up with the file before answering. */
export function fileJournal(journal: Journal): JournalStore {
  return {
    openEntries: async () => {
      journal.refresh();
      return journal.openEntries();
    },
    byOrderLinkId: async (id) => journal.byOrderLinkId(id),
    open: (lines) => journal.open(lines),
    close: (lines) => journal.close(lines),
    compact: (today) => journal.compact(today),
  };
}

/** The stores over the runtime root's files (Vibe-Trading's layout plus our journal). */
export function fileStores(paths: RuntimePaths | null, ledgerPaths: RuntimePaths, extraSecrets: string[], opts: { approvalTtlMs?: number } = {}): Stores {
  const ledger = new AuditLedger(ledgerPaths, { extraSecrets });
  const need = (): RuntimePaths => {
    if (!paths) throw new Error("no valid broker key");
    return paths;
  };
  const sync = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
  return {
    backend: "files",
    paths,
    ledger: {
      appendManyAsync: async (inputs: AuditInput[], opts: AppendOptions = {}) => {
        const records = await ledger.appendManyAsync(inputs);
        if (opts.release) await releaseTradesToday(need(), opts.release.nowMs, opts.release.by).catch((err: unknown) => opts.onReleaseError?.(err));
        return records;
      },
      findByDecisionId: (id: string) => sync(() => findRecordByDecisionId(ledgerPaths.audit, id)),
      assertWritable: async () => {
        assertLedgerWritable(ledgerPaths);
        await ledger.checkAppendable();
      },
    },
    journal: paths ? fileJournal(new Journal(paths)) : null,
    counter: {
      read: (nowMs) => sync(() => readTradesToday(need(), nowMs)),
      increment: (nowMs, by) => incrementTradesTodayAsync(need(), nowMs, by),
      release: (nowMs, by) => releaseTradesToday(need(), nowMs, by),
    },
    halt: { read: () => sync(() => readHalt(need())), current: () => readHalt(need()) },
    lock: { run: (timeoutMs, fn) => withOrderLock(need(), { timeoutMs }, fn), held: () => true },
    mandate: { read: () => sync(() => readMandateFile(need().mandate, { brokerKey: need().broker })), sha: () => mandateFileSha(need().mandate) },
    approvals: paths ? asyncApprovals(new ApprovalStore(paths, { ttlMs: opts.approvalTtlMs })) : null,
    close: () => Promise.resolve(),
  };
}
