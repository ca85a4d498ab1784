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
 * Outcomes. Vibe-Trading's enum is accepted | filled | rejected | error |
 * blocked. Its writer does not check it, but its readers and UI only know
 * those five, so our two extra states are mapped onto it: an input outcome
 * "pending" (written BEFORE the order is sent, carrying the orderLinkId) or
 * "unknown" (the call may have reached Bybit, no answer) is recorded as
 * outcome "error" with our extra key `status: "pending" | "unknown"` and, when
 * the caller gave none, an `error` sentence saying so. A Vibe-Trading reader
 * therefore never mistakes such a record for a success.
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
 */
import { createHash, randomUUID, type Hash } from "node:crypto";
import { fstatSync, fsyncSync, openSync, readSync, type BigIntStats } from "node:fs";
import { AuditError } from "../errors.js";
import { activeStart, CHAIN_KEYS, recordHash, verifyChainFiles, walkChain, type ChainTip, type WalkResult } from "./chain.js";
import { closeQuietly, ensureDir, errCode, fsyncAsync, fsyncDir, sleepSync, tryFlockExclusive, writeAll } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { pyDumps } from "./pyjson.js";
import { redact } from "./redact.js";
import { readLinesFromEnd } from "./tail.js";

export type AuditKind =
  | "order_placed"
  | "order_cancelled"
  | "order_rejected"
  | "mandate_committed"
  | "breach"
  | "halt_tripped"
  | "halt_cleared";
export type AuditOutcome = "accepted" | "filled" | "rejected" | "error" | "blocked";

export const AUDIT_KINDS: readonly AuditKind[] = [
  "order_placed",
  "order_cancelled",
  "order_rejected",
  "mandate_committed",
  "breach",
  "halt_tripped",
  "halt_cleared",
];
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ["accepted", "filled", "rejected", "error", "blocked"];

/** Vibe-Trading's record keys, in its order. */
export const BASE_KEYS = [
  "audit_id",
  "ts",
  "session_id",
  "kind",
  "intent_normalized",
  "mandate_snapshot_ref",
  "consent_record_ref",
  "broker_request",
  "broker_response",
  "outcome",
  "gate_decision",
  "server",
  "remote_tool",
  "error",
] as const;

export interface AuditInput {
  kind: AuditKind;
  session_id: string;
  /** e.g. "buy $100.00 BTCUSDT (linear)"; null when no intent was parsed. */
  intent_normalized: string | null;
  /** The mandate's consent_token_sha256. */
  mandate_snapshot_ref: string | null;
  /** The mandate's consent.account_ref. */
  consent_record_ref: string | null;
  broker_request: unknown;
  broker_response: unknown;
  outcome: AuditOutcome | "pending" | "unknown";
  gate_decision: unknown;
  server: string;
  remote_tool: string;
  error: string | null;
  /** Our own keys (decision id, rules revision, facts, orderLinkId...), written after Vibe-Trading's. */
  extra?: Record<string, unknown>;
}

/** One ledger record as written to audit.jsonl (redacted). */
export interface AuditRecord {
  audit_id: string;
  ts: string;
  session_id: string;
  kind: AuditKind;
  intent_normalized: string | null;
  mandate_snapshot_ref: string | null;
  consent_record_ref: string | null;
  broker_request: unknown;
  broker_response: unknown;
  outcome: AuditOutcome;
  gate_decision: unknown;
  server: string;
  remote_tool: string;
  error: string | null;
  /** Present when the input outcome was "pending" or "unknown" (outcome is then "error"). */
  status?: "pending" | "unknown";
  /** Where redaction replaced something (dot paths); always present on our records. */
  redacted_paths?: string[];
  [extra: string]: unknown;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  brokenAtSeq?: number;
  reason?: string;
  /** The file and 1-based line of the break. */
  file?: string;
  line?: number;
}

const STATUS_ERROR = {
  pending: "outcome pending: recorded before the order was sent; a later record gives the result",
  unknown: "outcome unknown: the request may have reached Bybit but no answer arrived",
} as const;

const RESERVED = new Set<string>([...BASE_KEYS, ...CHAIN_KEYS, "status", "redacted_paths"]);

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

interface PendingWrite {
  records: AuditRecord[];
  chainFd: number;
  auditFd: number;
  tip: ChainTip & { created: boolean; needsNewline: boolean; digest: Hash };
  seq: number;
  hash: string;
  bytes: Buffer;
  last: Buffer;
  close: () => void;
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
      fsyncSync(w.auditFd);
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
    const key = this.paths.auditChain;
    const go = async (): Promise<AuditRecord[]> => {
      // Everything up to the fsyncs runs synchronously when nothing is queued,
      // so the caller's next synchronous work overlaps the fsyncs.
      const w = this.write(inputs);
      try {
        await Promise.all([fsyncAsync(w.auditFd), fsyncAsync(w.chainFd)]);
        return this.settle(w);
      } catch (err) {
        throw asAuditError(err);
      } finally {
        w.close();
      }
    };
    const prev = inFlight.get(key);
    const run = prev ? prev.then(go) : go();
    const tail = run.then(
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
  private write(inputs: AuditInput[]): PendingWrite {
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
      const tip = this.verifiedTip(chainFd);
      try {
        auditFd = openSync(this.paths.audit, "a", 0o600);
        writeAll(auditFd, Buffer.from(records.map((r) => `${pyDumps(r)}\n`).join(""), "utf8"));
      } catch (err) {
        throw new AuditError(`cannot append to ${this.paths.audit}: ${errCode(err) ?? String(err)}`, err);
      }
      let seq = tip.seq;
      let hash = tip.hash;
      const lines: Buffer[] = [];
      for (const record of records) {
        seq += 1;
        const next = recordHash(seq, hash, record);
        lines.push(Buffer.from(`${pyDumps({ ...record, seq, prev_record_hash: hash, record_hash: next })}\n`, "utf8"));
        hash = next;
      }
      const bytes = Buffer.concat(tip.needsNewline ? [Buffer.from("\n"), ...lines] : lines);
      writeAll(chainFd, bytes);
      const fds = { chainFd, auditFd };
      return {
        records,
        chainFd,
        auditFd,
        tip,
        seq,
        hash,
        bytes,
        last: lines[lines.length - 1] as Buffer,
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

  /** After both files are durable: remember the tip so the next append need not re-read the chain. */
  private settle(w: PendingWrite): AuditRecord[] {
    if (w.tip.created) fsyncDir(this.paths.live);
    const st = fstatSync(w.chainFd, { bigint: true });
    w.tip.digest.update(w.bytes);
    knownTips.set(this.paths.auditChain, { ...identity(st), seq: w.seq, hash: w.hash, lastLine: w.last, digest: w.tip.digest });
    return w.records;
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
    try {
      const r = verifyChainFiles(this.paths.auditChain);
      if (r.ok || r.break === undefined) return { ok: true, records: r.records };
      const b = r.break;
      return { ok: false, records: r.records, brokenAtSeq: b.seq, reason: `${b.reason}: ${b.detail}`, file: b.file, line: b.line };
    } catch (err) {
      return { ok: false, records: 0, brokenAtSeq: 1, reason: `unreadable: ${errCode(err) ?? String(err)}`, file: this.paths.auditChain };
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

  private openChain(): number {
    try {
      return openSync(this.paths.auditChain, "a+", 0o600);
    } catch (err) {
      throw new AuditError(`cannot open ${this.paths.auditChain}: ${errCode(err) ?? String(err)}`, err);
    }
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

  /** The chain tip to extend, verified (see the module comment); throws AuditError on a broken chain. */
  private verifiedTip(fd: number): ChainTip & { created: boolean; needsNewline: boolean; digest: Hash } {
    const st = fstatSync(fd, { bigint: true });
    const known = knownTips.get(this.paths.auditChain);
    knownTips.delete(this.paths.auditChain); // re-set only after a successful append
    if (known !== undefined && sameFile(known, st) && lastBytesEqual(fd, st.size, known.lastLine)) {
      return { seq: known.seq, hash: known.hash, created: false, needsNewline: false, digest: known.digest };
    }
    const buf = readAll(fd, Number(st.size));
    let result: WalkResult;
    let digest: Hash;
    const grown = known !== undefined && known.dev === st.dev && known.ino === st.ino && BigInt(buf.length) > known.size;
    const prefix = grown ? buf.subarray(0, Number(known.size)) : undefined;
    if (grown && prefix !== undefined && createHash("sha256").update(prefix).digest().equals(known.digest.copy().digest())) {
      // Our bytes are untouched: verify only what others appended since.
      result = walkChain(buf.subarray(prefix.length).toString("utf8"), this.paths.auditChain, { seq: known.seq, hash: known.hash });
      digest = known.digest.copy().update(buf.subarray(prefix.length));
    } else {
      result = walkChain(buf.toString("utf8"), this.paths.auditChain, activeStart(this.paths.auditChain));
      digest = createHash("sha256").update(buf);
    }
    if (!result.ok && result.break !== undefined) {
      const b = result.break;
      throw new AuditError(`the audit chain is broken at seq ${b.seq} (${b.reason}: ${b.detail}); refusing to extend it`);
    }
    // A last line without its newline (a torn write) must not be glued to ours.
    const needsNewline = buf.length > 0 && buf[buf.length - 1] !== 0x0a;
    return { seq: result.seq, hash: result.hash, created: st.size === 0n, needsNewline, digest };
  }
}

/** Build the redacted record for `input` (exported for tests and the schema check). */
export function buildRecord(input: AuditInput, nowMs: number, extraSecrets: string[] = []): AuditRecord {
  if (!AUDIT_KINDS.includes(input.kind)) throw new AuditError(`unknown audit kind ${JSON.stringify(input.kind)}`);
  const pendingOrUnknown = input.outcome === "pending" || input.outcome === "unknown";
  if (!pendingOrUnknown && !AUDIT_OUTCOMES.includes(input.outcome as AuditOutcome)) {
    throw new AuditError(`unknown audit outcome ${JSON.stringify(input.outcome)}`);
  }
  const raw: Record<string, unknown> = {
    audit_id: `la_${randomUUID().replace(/-/g, "")}`,
    ts: new Date(nowMs).toISOString().replace("Z", "+00:00"),
    session_id: input.session_id,
    kind: input.kind,
    intent_normalized: input.intent_normalized,
    mandate_snapshot_ref: input.mandate_snapshot_ref,
    consent_record_ref: input.consent_record_ref,
    broker_request: input.broker_request ?? null,
    broker_response: input.broker_response ?? null,
    outcome: pendingOrUnknown ? "error" : input.outcome,
    gate_decision: input.gate_decision ?? null,
    server: input.server,
    remote_tool: input.remote_tool,
    error: input.error ?? (pendingOrUnknown ? STATUS_ERROR[input.outcome as "pending" | "unknown"] : null),
  };
  if (pendingOrUnknown) raw.status = input.outcome;
  for (const [k, v] of Object.entries(input.extra ?? {})) {
    if (RESERVED.has(k)) throw new AuditError(`extra key ${JSON.stringify(k)} would overwrite a ledger key`);
    raw[k] = v;
  }
  const { value, redactedPaths } = redact(raw, extraSecrets);
  return { ...(value as AuditRecord), redacted_paths: redactedPaths };
}

function identity(st: BigIntStats): Pick<KnownTip, "dev" | "ino" | "size" | "ctimeNs"> {
  return { dev: st.dev, ino: st.ino, size: st.size, ctimeNs: st.ctimeNs };
}

function sameFile(known: KnownTip, st: BigIntStats): boolean {
  return known.dev === st.dev && known.ino === st.ino && known.size === st.size && known.ctimeNs === st.ctimeNs;
}

function lastBytesEqual(fd: number, size: bigint, expected: Buffer): boolean {
  if (size < BigInt(expected.length)) return false;
  const buf = Buffer.alloc(expected.length);
  const got = readSync(fd, buf, 0, buf.length, Number(size) - buf.length);
  return got === buf.length && buf.equals(expected);
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const got = readSync(fd, buf, off, size - off, off);
    if (got === 0) break;
    off += got;
  }
  return buf.subarray(0, off);
}
