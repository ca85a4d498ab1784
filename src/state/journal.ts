/**
 * The write-ahead journal of our own: live/<broker>/inflight.jsonl.
 *
 * Before an order leaves, its entry (decision id, orderLinkId, the exact
 * request) is appended and fsync'd; if that fails, nothing is sent. Once the
 * call's one ledger record is durable, a `close` line follows. An entry
 * without its close line after a crash is reconciled by orderLinkId
 * (trading/reconcile.ts) and its outcome record written then.
 *
 * Every append happens under the per-broker order lock (withOrderLock), so
 * the processes sharing a broker take turns; each keeps a read position and
 * reads only what others appended since, so a batch costs what it adds.
 *
 * The file keeps today's entries (UTC) as the index of orderLinkIds used
 * today: an agent-chosen id is refused when it is already there. Closed
 * entries of earlier days are dropped by compact(), also under the lock.
 *
 * Close lines are not fsync'd: one lost in a crash only leaves an entry
 * open, and reconciling it first looks for its record in the ledger.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { JournalError } from "../errors.js";
import { atomicWriteFileAsync, closeQuietly, ensureDir, errCode, fsyncAsync, writeAll } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";

export type JournalOutcome = "accepted" | "rejected" | "unknown" | "not_sent";

/** An order about to be sent, as journaled before the send. */
export interface JournalOpen {
  op: "open";
  decision_id: string;
  order_link_id: string;
  tool: "place_order" | "amend_order";
  remote_tool: string;
  /** The request exactly as it goes on the wire. */
  path: string;
  body: Record<string, unknown>;
  session_id: string;
  /** When the entry was written (ms since epoch, local clock). */
  ts_ms: number;
  /** The UTC day the order was counted on, or null when it was not counted (amends). */
  counted_day: string | null;
  /** sha256 of the mandate file the decision was made on. */
  mandate_sha256: string;
  /** What the ledger record needs to be rebuilt after a crash. */
  record: Record<string, unknown>;
}

export interface JournalClose {
  op: "close";
  decision_id: string;
  outcome: JournalOutcome;
  audit_id: string | null;
  ts_ms: number;
  /** True when the count this entry took was given back. */
  released?: boolean;
}

export type JournalLine = JournalOpen | JournalClose;

/** An entry as the journal knows it: its open line and, once closed, its close line. */
export interface JournalEntry {
  open: JournalOpen;
  close?: JournalClose;
}

/** Larger than a day of entries should ever be; beyond it the journal is treated as unreadable. */
const MAX_BYTES = 64 * 1024 * 1024;

export class Journal {
  private entries = new Map<string, JournalEntry>();
  private byLinkId = new Map<string, string>();
  private readPos = 0;
  private identity: { dev: number; ino: number } | null = null;
  private partial = "";

  constructor(private readonly paths: RuntimePaths) {}

  get file(): string {
    return this.paths.journal;
  }

  /**
   * Catch up with what is on disk (others' appends, a compaction). Call it
   * under the order lock before reading entries. Throws JournalError when
   * the file cannot be read or is not a regular file.
   */
  refresh(): void {
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO put there answers at once instead of hanging the server.
      fd = openSync(this.paths.journal, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (errCode(err) === "ENOENT") {
        this.reset();
        return;
      }
      throw new JournalError(`cannot read ${this.paths.journal}: ${errCode(err) ?? String(err)}`, err);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new JournalError(`${this.paths.journal} is not a regular file`);
      if (st.size > MAX_BYTES) throw new JournalError(`${this.paths.journal} is larger than ${MAX_BYTES} bytes`);
      if (!this.sameFile(st) || st.size < this.readPos) {
        this.reset();
        this.identity = { dev: st.dev, ino: st.ino };
      }
      const len = st.size - this.readPos;
      if (len <= 0) return;
      const buf = Buffer.alloc(len);
      let off = 0;
      while (off < len) {
        const got = readSync(fd, buf, off, len - off, this.readPos + off);
        if (got === 0) break;
        off += got;
      }
      this.readPos += off;
      this.ingest(buf.subarray(0, off).toString("utf8"));
    } finally {
      closeSync(fd);
    }
  }

  /** Entries opened and not closed. */
  openEntries(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.close === undefined);
  }

  /** The entry that used this orderLinkId, if the journal still holds it. */
  byOrderLinkId(orderLinkId: string): JournalEntry | undefined {
    const id = this.byLinkId.get(orderLinkId);
    return id === undefined ? undefined : this.entries.get(id);
  }

  /** Append open lines and fsync them: only then may the orders be sent. Throws JournalError. */
  async open(lines: JournalOpen[]): Promise<void> {
    await this.append(lines, true);
  }

  /** Append close lines (not fsync'd; see the module comment). Throws JournalError. */
  async close(lines: JournalClose[]): Promise<void> {
    await this.append(lines, false);
  }

  /**
   * Rewrite the file without the closed entries of days before `today`
   * (atomically, under the order lock). Open entries always stay.
   */
  async compact(today: string): Promise<void> {
    this.refresh();
    const keep = [...this.entries.values()].filter((e) => e.close === undefined || utcDay(e.open.ts_ms) >= today);
    if (keep.length === this.entries.size) return;
    const text = keep.map((e) => [e.open, e.close].filter(Boolean).map((l) => `${JSON.stringify(l)}\n`).join("")).join("");
    try {
      await atomicWriteFileAsync(this.paths.journal, text);
    } catch (err) {
      throw new JournalError(`cannot compact ${this.paths.journal}: ${errCode(err) ?? String(err)}`, err);
    }
    this.reset();
    this.refresh();
  }

  private async append(lines: JournalLine[], durable: boolean): Promise<void> {
    if (lines.length === 0) return;
    let fd: number | undefined;
    try {
      ensureDir(this.paths.brokerDir);
      fd = openSync(this.paths.journal, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
      const st = fstatSync(fd);
      if (!st.isFile()) throw new JournalError(`${this.paths.journal} is not a regular file`);
      // A torn last line (a crash mid-append) must not swallow ours.
      const prefix = this.partial !== "" || this.endsTorn(fd, st.size) ? "\n" : "";
      writeAll(fd, Buffer.from(prefix + lines.map((l) => `${JSON.stringify(l)}\n`).join(""), "utf8"));
      if (durable) await fsyncAsync(fd);
    } catch (err) {
      throw err instanceof JournalError ? err : new JournalError(`cannot write ${this.paths.journal}: ${errCode(err) ?? String(err)}`, err);
    } finally {
      if (fd !== undefined) closeQuietly(fd);
    }
    this.refresh();
  }

  private endsTorn(fd: number, size: number): boolean {
    if (size === 0) return false;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  }

  private ingest(text: string): void {
    const all = this.partial + text;
    const parts = all.split("\n");
    this.partial = parts.pop() ?? "";
    for (const raw of parts) {
      if (raw.trim() === "") continue;
      let line: JournalLine;
      try {
        line = JSON.parse(raw) as JournalLine;
      } catch {
        continue; // a torn line from a crash: its order was never sent (the fsync had not returned)
      }
      if (line.op === "open" && typeof line.decision_id === "string") {
        this.entries.set(line.decision_id, { open: line });
        if (typeof line.order_link_id === "string") this.byLinkId.set(line.order_link_id, line.decision_id);
      } else if (line.op === "close") {
        const e = this.entries.get(line.decision_id);
        if (e) e.close = line;
      }
    }
  }

  private sameFile(st: Stats): boolean {
    return this.identity !== null && this.identity.dev === st.dev && this.identity.ino === st.ino;
  }

  private reset(): void {
    this.entries = new Map();
    this.byLinkId = new Map();
    this.readPos = 0;
    this.identity = null;
    this.partial = "";
  }
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
