/**
 * The live-action ledger, shared with Vibe-Trading (agent/src/live/audit.py
 * and governance/ledger.py):
 *  - live/audit.jsonl: one redacted record per line, fsync'd; the line is
 *    Python's json.dumps(record, ensure_ascii=False) (", " and ": "
 *    separators), keys in Vibe-Trading's order, our extra keys after;
 *  - live/audit_chain.jsonl: the same record plus seq / prev_record_hash /
 *    record_hash (see chain.ts), appended under flock on that file, fsync'd.
 *
 * Every failure throws AuditError, and the write path then refuses to
 * forward: no order leaves unaudited. (Vibe-Trading swallows chain failures;
 * we do not.) The chain is checked before anything is written, so a refused
 * append leaves both files untouched.
 *
 * Records are built in audit-record.ts (outcome mapping there).
 *
 * Speed. ledger.py verifies the whole chain before every append (O(n)
 * parsing and hashing). Here the full chain is verified the first time this
 * process appends to the file. After that this process remembers the tip it
 * left (seq, record_hash, its last line's bytes, the file's device, inode,
 * size and ctime — ctime changes on any write, truncation, chmod or utimes
 * and cannot be set back by a user) and a running SHA-256 of the file's bytes:
 *  - file exactly as we left it: only the last line is compared, byte for
 *    byte, with the line we wrote (O(1));
 *  - same file, grown (another process appended): the old bytes must still
 *    hash to the running digest (a plain read + SHA-256, no parsing), then
 *    only the new lines are verified from the remembered tip;
 *  - anything else (shrunk, replaced, rewritten): full verification again.
 * So a chain broken by anyone else is still refused, while steady appends
 * cost O(1) and interleaved appends cost a hash of the file, not a re-parse.
 *
 * Across processes. The tip this server last wrote is kept in
 * live/.audit_chain_tip.json (chain-tip.ts); whenever the chain is read in
 * full, or grew under us, it must still hold that seq with that hash, so a
 * chain cut back to a valid prefix or rewritten is refused. The first full
 * read of a process also repairs a torn chain tail and copies our records
 * that a crash left in one file only into the other (reconcile.ts).
 *
 * Torn lines. A crash mid-append can leave a last line without its newline.
 * In audit.jsonl a "\n" is written before our records, so the fragment stays
 * one malformed line (tail() skips it) and cannot swallow our record. In the
 * chain a fragment that does not parse is cut off instead: newline-terminated,
 * it would stay in the middle of the chain for ever, and every verifier (ours,
 * `audit verify`, Vibe-Trading's ledger.py, which refuses to append after a
 * malformed line) would report the chain broken at it from then on. Cutting
 * removes only bytes that never formed a record (that append never returned),
 * and its audit.jsonl copy, written first, is chained again by reconcile. A
 * last line that parses but only lacks its newline is kept and terminated.
 */
import { createHash, type Hash } from "node:crypto";
import { constants, fstatSync, fsyncSync, ftruncateSync, openSync, type BigIntStats } from "node:fs";
import { AuditError, errorMessage } from "../errors.js";
import { buildRecord, type AuditInput, type AuditRecord } from "./audit-record.js";
import {
  CHAIN_KEYS,
  activeStart,
  recordHash,
  segmentSeqAt,
  verifyChainFiles,
  walkChain,
  type ChainTip,
  type SeqAt,
  type WalkResult,
} from "./chain.js";
import { readTipFile, tipBreak, writeTipFile, writeTipFileAsync, type TipFile } from "./chain-tip.js";
import { closeQuietly, ensureDir, errCode, fsyncAsync, fsyncDir, sleepSync, tryFlockExclusive, writeAll } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { trackWrite } from "./pending-writes.js";
import { pyDumps } from "./pyjson.js";
import { fileKind } from "./read-file.js";
import { ChainScan, planReconcile } from "./reconcile.js";
import { endsWithNewline, lastBytesEqual, lastLineOf, readAll, tornCut } from "./chain-bytes.js";
import { readLinesFromEnd } from "./tail.js";

export {
  AUDIT_KINDS,
  AUDIT_OUTCOMES,
  BASE_KEYS,
  buildRecord,
  type AuditInput,
  type AuditKind,
  type AuditOutcome,
  type AuditRecord,
} from "./audit-record.js";

export interface VerifyResult {
  ok: boolean;
  records: number;
  brokenAtSeq?: number;
  reason?: string;
  /** The file and 1-based line of the break. */
  file?: string;
  line?: number;
}

/** Chain state this process last left, per chain file (so every ledger instance shares it). */
interface KnownTip extends ChainTip {
  dev: bigint;
  ino: bigint;
  size: bigint;
  ctimeNs: bigint;
  lastLine: Buffer;
  /** SHA-256 over the file's bytes [0, size). */
  digest: Hash;
}
const knownTips = new Map<string, KnownTip>();
/** The last async append queued per chain file in this process. */
const inFlight = new Map<string, Promise<void>>();

/** The chain tip an append extends, as verifiedTip found it. */
interface VerifiedTip extends ChainTip {
  created: boolean;
  needsNewline: boolean;
  digest: Hash;
  /** The last line of the chain as it stands (undefined when empty or unknown). */
  lastLine?: Buffer;
  /** The remembered tip file when it was read (undefined on the fast path or when there is none). */
  tipFile?: TipFile;
  /** Set when the chain was read in full: what reconcile compares against audit.jsonl. */
  scan?: ChainScan;
  /** No record at all in the chain history (no segments, empty active file). */
  historyEmpty: boolean;
}

interface PendingWrite {
  records: AuditRecord[];
  chainFd: number;
  /** Undefined when nothing went to audit.jsonl (a reconcile with nothing to copy there). */
  auditFd: number | undefined;
  tip: VerifiedTip;
  seq: number;
  hash: string;
  bytes: Buffer;
  last: Buffer | undefined;
  copied: { toChain: number; toAudit: number };
  close: () => void;
}

/**
 * The chain line of `record`: pyDumps({...record, seq, prev_record_hash, record_hash}).
 * Given the record's own line (pyDumps(record)), the three keys are spliced in
 * before its closing brace, which is the same bytes when the record holds none
 * of them (a spread would keep such a key where it stands) and has any key at all.
 */
function chainLine(record: Record<string, unknown>, line: string | undefined, seq: number, prev: string, next: string): string {
  if (line === undefined || !line.endsWith("}") || line === "{}" || CHAIN_KEYS.some((k) => Object.hasOwn(record, k))) {
    return pyDumps({ ...record, seq, prev_record_hash: prev, record_hash: next });
  }
  return `${line.slice(0, -1)}, "seq": ${pyDumps(seq)}, "prev_record_hash": ${pyDumps(prev)}, "record_hash": ${pyDumps(next)}}`;
}

function errorText(err: unknown): string {
  return errCode(err) ?? (errorMessage(err));
}

function asAuditError(err: unknown): AuditError {
  return err instanceof AuditError ? err : new AuditError(`could not append to the audit ledger: ${errCode(err) ?? String(err)}`, err);
}

export class AuditLedger {
  private readonly extraSecrets: string[];
  private readonly nowMs: () => number;
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly paths: RuntimePaths,
    opts: { extraSecrets?: string[]; nowMs?: () => number; lockTimeoutMs?: number } = {},
  ) {
    this.extraSecrets = (opts.extraSecrets ?? []).filter((s) => s !== "");
    this.nowMs = opts.nowMs ?? Date.now;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
  }

  /** Redact, record in audit.jsonl and extend the chain; returns the record as written. Throws AuditError. */
  append(input: AuditInput): AuditRecord {
    return this.appendMany([input])[0] as AuditRecord;
  }

  /**
   * Append several records at once: one write and one fsync per file for the
   * whole group (the write path audits a batch of orders this way). Any
   * failure throws AuditError.
   */
  appendMany(inputs: AuditInput[]): AuditRecord[] {
    if (inputs.length === 0) return [];
    const w = this.write(inputs);
    try {
      fsyncSync(w.auditFd as number);
      fsyncSync(w.chainFd);
      return this.settle(w);
    } catch (err) {
      throw asAuditError(err);
    } finally {
      w.close();
    }
  }

  /**
   * appendMany with both fsyncs running in parallel off the main thread.
   * Appends from this process to the same ledger are queued one after
   * another, so none waits on a chain lock this process holds across an
   * await. The server's write path uses only this. Taking the chain flock
   * still polls synchronously: while another process (Vibe-Trading) holds
   * it for its own append, the event loop waits, up to lockTimeoutMs.
   */
  appendManyAsync(inputs: AuditInput[]): Promise<AuditRecord[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    return this.enqueue(async (behind) => {
      // Everything up to the fsyncs runs synchronously when nothing is queued,
      // so the caller's next synchronous work overlaps the fsyncs.
      const w = this.write(inputs);
      try {
        await Promise.all([fsyncAsync(w.auditFd as number), fsyncAsync(w.chainFd)]);
        if (w.tip.created) fsyncDir(this.paths.live);
        this.remember(w);
      } catch (err) {
        w.close();
        throw asAuditError(err);
      }
      // Both files are durable: the caller has its records now. The tip file (a create, a write,
      // an fsync and a rename: ~1 ms on the reply path) moves forward behind it, still under the
      // chain flock (closing the descriptor releases it) and before this process's next append.
      behind(this.writeTip(w).finally(() => w.close()));
      return w.records;
    });
  }

  /**
   * Copy our records that stand in one ledger file only into the other (a
   * crash between the two writes), repair a torn chain tail and check the
   * chain against the remembered tip; the server calls it at start. The
   * first append of a process does the same. Returns how many copies it
   * wrote to each file. Throws AuditError. Do not call it while an
   * appendManyAsync of this process is pending (use reconcileAsync).
   */
  reconcile(): { toChain: number; toAudit: number } {
    const w = this.write([], true);
    try {
      if (w.auditFd !== undefined) fsyncSync(w.auditFd);
      fsyncSync(w.chainFd);
      this.settle(w);
      return { ...w.copied };
    } catch (err) {
      throw asAuditError(err);
    } finally {
      w.close();
    }
  }

  /** reconcile, queued behind this process's pending async appends, with the fsyncs off the main thread. */
  reconcileAsync(): Promise<{ toChain: number; toAudit: number }> {
    return this.enqueue(async () => {
      const w = this.write([], true);
      try {
        await Promise.all([w.auditFd === undefined ? undefined : fsyncAsync(w.auditFd), fsyncAsync(w.chainFd)]);
        await this.settleAsync(w);
        return { ...w.copied };
      } catch (err) {
        throw asAuditError(err);
      } finally {
        w.close();
      }
    });
  }

  /**
   * Before anything is sent: could a record be appended now? Cheap when the
   * chain is as this process left it (the remembered tip still ends the
   * file); otherwise a reconcile under the chain lock verifies it, and a
   * truncated or broken chain throws AuditError, so the order is refused
   * rather than sent unaudited.
   */
  async checkAppendable(): Promise<void> {
    const known = knownTips.get(this.paths.auditChain);
    if (known !== undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(this.paths.auditChain, constants.O_RDONLY | constants.O_NONBLOCK);
        const st = fstatSync(fd, { bigint: true });
        if (sameFile(known, st) && lastBytesEqual(fd, st.size, known.lastLine)) return;
      } catch {
        // fall through to the full check, which names the problem
      } finally {
        if (fd !== undefined) closeQuietly(fd);
      }
    }
    await this.reconcileAsync();
  }

  /**
   * Run `go` after the async ledger work this process queued on the same chain
   * file. Work `go` passes to `behind` runs on after `go` has resolved: the
   * next queued call waits for it, the caller does not.
   */
  private enqueue<T>(go: (behind: (work: Promise<void>) => void) => Promise<T>): Promise<T> {
    const key = this.paths.auditChain;
    const prev = inFlight.get(key);
    let after: Promise<void> | undefined;
    const start = () =>
      go((work) => {
        after = work;
        trackWrite(work);
      });
    const run = prev ? prev.then(start) : start();
    const tail = run.then(
      () => after,
      () => after,
    ).then(
      () => undefined,
      () => undefined,
    );
    inFlight.set(key, tail);
    void tail.then(() => {
      if (inFlight.get(key) === tail) inFlight.delete(key);
    });
    return run;
  }

  /** Build, lock, verify the tip and write both files; the caller makes them durable, then settles. */
  private write(inputs: AuditInput[], forceReconcile = false): PendingWrite {
    const now = this.nowMs();
    const records = inputs.map((input) => buildRecord(input, now, this.extraSecrets));
    try {
      ensureDir(this.paths.live);
    } catch (err) {
      throw new AuditError(`cannot create ${this.paths.live}: ${errCode(err) ?? String(err)}`, err);
    }
    const chainFd = this.openChain();
    let auditFd: number | undefined;
    try {
      this.lockChain(chainFd);
      const tip = this.verifiedTip(chainFd, forceReconcile);
      const plan = tip.scan ? planReconcile(this.paths.audit, tip.scan, { historyEmpty: tip.historyEmpty }) : { toChain: [], toAudit: [] };
      // Each of our records is serialised once: its audit.jsonl line, which the chain line extends.
      const ours = records.map((r) => pyDumps(r));
      const toAudit = [...plan.toAudit.map((r) => pyDumps(r)), ...ours];
      if (toAudit.length > 0) auditFd = this.appendAudit(toAudit);
      let seq = tip.seq;
      let hash = tip.hash;
      const lines: Buffer[] = [];
      const chained: [Record<string, unknown>, string | undefined][] = [...plan.toChain.map((r) => [r, undefined] as [Record<string, unknown>, undefined]), ...records.map((r, i) => [r, ours[i]] as [AuditRecord, string])];
      for (const [record, line] of chained) {
        seq += 1;
        const next = recordHash(seq, hash, record);
        lines.push(Buffer.from(`${chainLine(record, line, seq, hash, next)}\n`, "utf8"));
        hash = next;
      }
      const bytes = Buffer.concat(tip.needsNewline ? [Buffer.from("\n"), ...lines] : lines);
      if (bytes.length > 0) writeAll(chainFd, bytes);
      const fds = { chainFd, auditFd };
      return {
        records,
        chainFd,
        auditFd,
        tip,
        seq,
        hash,
        bytes,
        last: lines[lines.length - 1] ?? tip.lastLine,
        copied: { toChain: plan.toChain.length, toAudit: plan.toAudit.length },
        close: () => {
          if (fds.auditFd !== undefined) closeQuietly(fds.auditFd);
          closeQuietly(fds.chainFd); // closing releases the flock
        },
      };
    } catch (err) {
      if (auditFd !== undefined) closeQuietly(auditFd);
      closeQuietly(chainFd);
      throw asAuditError(err);
    }
  }

  /** Append `lines` (records as serialised, no newline) to audit.jsonl, after a "\n" when its last line is torn; returns the descriptor to fsync. */
  private appendAudit(lines: string[]): number {
    let fd: number | undefined;
    try {
      // O_NONBLOCK: a FIFO cannot block the open; it is then refused as not a regular file.
      fd = openSync(this.paths.audit, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
      const st = fstatSync(fd);
      if (!st.isFile()) throw new AuditError(`${this.paths.audit} is ${fileKind(st)}, not a regular file`);
      const torn = st.size > 0 && !endsWithNewline(fd, st.size);
      writeAll(fd, Buffer.from(`${torn ? "\n" : ""}${lines.map((l) => `${l}\n`).join("")}`, "utf8"));
      return fd;
    } catch (err) {
      if (fd !== undefined) closeQuietly(fd);
      if (err instanceof AuditError) throw err;
      throw new AuditError(`cannot append to ${this.paths.audit}: ${errCode(err) ?? String(err)}`, err);
    }
  }

  /** After both files are durable: remember the tip, here and on disk, so the next append need not re-read the chain. */
  private settle(w: PendingWrite): AuditRecord[] {
    if (w.tip.created) fsyncDir(this.paths.live);
    if (w.tip.tipFile?.seq !== w.seq && w.seq > 0) {
      try {
        writeTipFile(this.paths.auditTip, { seq: w.seq, record_hash: w.hash });
      } catch {
        // a tip that could not be moved forward stays stale: less strict, never wrong
      }
    }
    this.remember(w);
    return w.records;
  }

  /** settle with the tip file written off the main thread. */
  private async settleAsync(w: PendingWrite): Promise<AuditRecord[]> {
    if (w.tip.created) fsyncDir(this.paths.live);
    await this.writeTip(w);
    this.remember(w);
    return w.records;
  }

  /** Move the remembered tip file forward to what `w` wrote; never throws (a stale tip is less strict, never wrong). */
  private async writeTip(w: PendingWrite): Promise<void> {
    if (w.tip.tipFile?.seq !== w.seq && w.seq > 0) {
      await writeTipFileAsync(this.paths.auditTip, { seq: w.seq, record_hash: w.hash }).catch(() => undefined);
    }
  }

  private remember(w: PendingWrite): void {
    if (w.last === undefined) return;
    const st = fstatSync(w.chainFd, { bigint: true });
    w.tip.digest.update(w.bytes);
    knownTips.set(this.paths.auditChain, { ...identity(st), seq: w.seq, hash: w.hash, lastLine: w.last, digest: w.tip.digest });
  }

  /** The last `n` records of audit.jsonl (oldest first), optionally only of one kind. Malformed lines are skipped. */
  tail(n: number, kind?: string): AuditRecord[] {
    return this.tailEntries(n, kind).map((e) => e.record);
  }

  /** Like tail, but the raw lines as stored (numbers exactly as written). */
  tailLines(n: number, kind?: string): string[] {
    return this.tailEntries(n, kind).map((e) => e.line);
  }

  /** Verify the whole chain (sealed segments, then audit_chain.jsonl). Never throws. */
  verify(): VerifyResult {
    let tip: TipFile | null;
    try {
      tip = readTipFile(this.paths.auditTip);
    } catch (err) {
      return { ok: false, records: 0, brokenAtSeq: 1, reason: errorText(err), file: this.paths.auditTip };
    }
    try {
      const r = verifyChainFiles(this.paths.auditChain, tip?.seq);
      if (!r.ok && r.break !== undefined) {
        const b = r.break;
        return { ok: false, records: r.records, brokenAtSeq: b.seq, reason: `${b.reason}: ${b.detail}`, file: b.file, line: b.line };
      }
      const broke = tip === null ? null : tipBreak(tip, this.paths.auditChain, r, r.watched);
      if (broke) {
        const line = broke.seq === tip?.seq && r.watched ? { line: r.watched.line } : {};
        return { ok: false, records: r.records, brokenAtSeq: broke.seq, reason: broke.reason, file: broke.file, ...line };
      }
      return { ok: true, records: r.records };
    } catch (err) {
      return { ok: false, records: 0, brokenAtSeq: 1, reason: `unreadable: ${errorText(err)}`, file: this.paths.auditChain };
    }
  }

  private tailEntries(n: number, kind?: string): { line: string; record: AuditRecord }[] {
    const out: { line: string; record: AuditRecord }[] = [];
    if (n <= 0) return out;
    for (const line of readLinesFromEnd(this.paths.audit)) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof record !== "object" || record === null || Array.isArray(record)) continue;
      if (kind !== undefined && (record as AuditRecord).kind !== kind) continue;
      out.push({ line, record: record as AuditRecord });
      if (out.length >= n) break;
    }
    return out.reverse();
  }

  /** Open the chain for reading and appending; only a regular file (O_NONBLOCK: a FIFO cannot block the open). */
  private openChain(): number {
    let fd: number;
    try {
      fd = openSync(this.paths.auditChain, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
    } catch (err) {
      throw new AuditError(`cannot open ${this.paths.auditChain}: ${errCode(err) ?? String(err)}`, err);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeQuietly(fd);
      throw new AuditError(`${this.paths.auditChain} is ${fileKind(st)}, not a regular file`);
    }
    return fd;
  }

  /** Blocking flock like ledger.py, but bounded: holders keep it for one append. */
  private lockChain(fd: number): void {
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      if (tryFlockExclusive(fd)) return;
      if (Date.now() >= deadline) throw new AuditError(`the audit chain stayed locked for ${this.lockTimeoutMs} ms`);
      sleepSync(1);
    }
  }

  /**
   * The chain tip to extend, verified (see the module comment); throws
   * AuditError on a broken, truncated or rewritten chain. `full` forces a
   * full read (reconcile).
   */
  private verifiedTip(fd: number, full: boolean): VerifiedTip {
    const chainFile = this.paths.auditChain;
    const st = fstatSync(fd, { bigint: true });
    const known = knownTips.get(chainFile);
    knownTips.delete(chainFile); // re-set only after a successful append
    if (!full && known !== undefined && sameFile(known, st) && lastBytesEqual(fd, st.size, known.lastLine)) {
      return { seq: known.seq, hash: known.hash, created: false, needsNewline: false, digest: known.digest, lastLine: known.lastLine, historyEmpty: false };
    }
    let buf = readAll(fd, Number(st.size));
    const cut = tornCut(buf);
    if (cut !== undefined) {
      ftruncateSync(fd, cut);
      fsyncSync(fd);
      buf = buf.subarray(0, cut);
    }
    const tipFile = readTipFile(this.paths.auditTip) ?? undefined;
    let found: SeqAt | undefined;
    const watch = (seq: number, hash: string, _r: unknown, line: number) => {
      if (seq === tipFile?.seq) found = { file: chainFile, line, hash };
    };
    let result: WalkResult;
    let digest: Hash;
    let scan: ChainScan | undefined;
    let start: ChainTip;
    const grown = !full && known !== undefined && known.dev === st.dev && known.ino === st.ino && BigInt(buf.length) > known.size;
    const prefix = grown ? buf.subarray(0, Number(known.size)) : undefined;
    if (grown && prefix !== undefined && createHash("sha256").update(prefix).digest().equals(known.digest.copy().digest())) {
      // Our bytes are untouched: verify only what others appended since.
      start = { seq: known.seq, hash: known.hash };
      result = walkChain(buf.subarray(prefix.length).toString("utf8"), chainFile, start, watch);
      digest = known.digest.copy().update(buf.subarray(prefix.length));
    } else {
      start = activeStart(chainFile);
      scan = new ChainScan();
      const s = scan;
      result = walkChain(buf.toString("utf8"), chainFile, start, (seq, hash, r, line) => {
        watch(seq, hash, r, line);
        s.onRecord(seq, hash, r);
      });
      digest = createHash("sha256").update(buf);
    }
    if (!result.ok && result.break !== undefined) {
      const b = result.break;
      throw new AuditError(`the audit chain is broken at seq ${b.seq} (${b.reason}: ${b.detail}); refusing to extend it`);
    }
    // Where the remembered tip stands: in what was just walked, at its start, or (after a rotation) in a sealed segment.
    // On the grown path a tip at or before our own verified prefix is one we (or a sibling before us) wrote.
    if (tipFile !== undefined && (tipFile.seq > start.seq || scan !== undefined)) {
      if (tipFile.seq === start.seq) found = { file: chainFile, line: 0, hash: start.hash };
      else if (tipFile.seq < start.seq) found = segmentSeqAt(chainFile, tipFile.seq);
      const broke = tipBreak(tipFile, chainFile, { seq: result.seq }, found);
      if (broke) throw new AuditError(`${broke.reason}; refusing to extend the chain (see bybit-mcp audit verify)`);
    }
    // A last line without its newline that did parse (only the "\n" was lost) is kept and terminated.
    const needsNewline = buf.length > 0 && buf[buf.length - 1] !== 0x0a;
    return {
      seq: result.seq,
      hash: result.hash,
      created: st.size === 0n,
      needsNewline,
      digest,
      lastLine: lastLineOf(buf, needsNewline),
      ...(tipFile ? { tipFile } : {}),
      ...(scan ? { scan } : {}),
      historyEmpty: scan !== undefined && start.seq === 0 && result.records === 0,
    };
  }
}

function identity(st: BigIntStats): Pick<KnownTip, "dev" | "ino" | "size" | "ctimeNs"> {
  return { dev: st.dev, ino: st.ino, size: st.size, ctimeNs: st.ctimeNs };
}

function sameFile(known: KnownTip, st: BigIntStats): boolean {
  return known.dev === st.dev && known.ino === st.ino && known.size === st.size && known.ctimeNs === st.ctimeNs;
}

