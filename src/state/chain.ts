/**
 * The hash chain of live/audit_chain.jsonl, as Vibe-Trading's
 * governance/ledger.py defines it. Each line is the record's own keys plus
 * `seq` (1-based), `prev_record_hash` (the previous line's record_hash, or
 * "sha256:genesis") and
 *   record_hash = "sha256:" + sha256hex(canonical_json({"seq", "prev_record_hash", "payload"}))
 * where payload is the line without the three chain keys and canonical_json
 * is Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True).
 *
 * Lines are parsed with parsePyJson so floats that Python wrote (`10000.0`)
 * hash as Python hashed them. Sealed segments (audit_chain.0001.jsonl, from
 * ledger.py's rotation) are honoured: the active file continues from the
 * newest segment's last record.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { canonicalJson, parsePyJson } from "./pyjson.js";
import { readStateFile } from "./read-file.js";

/** No chain file we are willing to read into memory is larger (a rotating ledger stays far below). */
export const MAX_CHAIN_BYTES = 1 << 30;

/** A chain file that cannot be read as a regular file (a FIFO, a device, too large...). */
export class ChainReadError extends Error {}

export const GENESIS = "sha256:genesis";
export const CHAIN_KEYS: readonly string[] = ["seq", "prev_record_hash", "record_hash"];

export type ChainBreakReason =
  | "malformed_json"
  | "missing_chain_fields"
  | "seq_gap"
  | "prev_hash_mismatch"
  | "record_hash_mismatch";

/** Where the chain stopped verifying: `seq` is the position the line holds in the chain. */
export interface ChainBreak {
  file: string;
  /** 1-based line number within `file`. */
  line: number;
  seq: number;
  reason: ChainBreakReason;
  detail: string;
}

export interface ChainTip {
  /** The last verified seq (0 for an empty chain). */
  seq: number;
  /** The last verified record_hash (GENESIS for an empty chain). */
  hash: string;
}

export interface WalkResult extends ChainTip {
  ok: boolean;
  /** Records verified (before the break, if any). */
  records: number;
  break?: ChainBreak;
}

/** record_hash for one chain line, exactly as ledger.py's compute_record_hash. */
export function recordHash(seq: number, prevRecordHash: string, payload: unknown): string {
  const body = canonicalJson({ seq, prev_record_hash: prevRecordHash, payload });
  return `sha256:${createHash("sha256").update(body, "utf8").digest("hex")}`;
}

/**
 * Verify the lines of one chain file starting from `start` (the tip before
 * it). Blank lines are skipped, as ledger.py does; the walk stops at the
 * first break.
 */
export function walkChain(
  text: string,
  file: string,
  start: ChainTip = { seq: 0, hash: GENESIS },
  onRecord?: (seq: number, hash: string, record: Record<string, unknown>, line: number) => void,
): WalkResult {
  let tip = { ...start };
  let records = 0;
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    if (raw.trim() === "") continue;
    const expected = tip.seq + 1;
    const broke = (reason: ChainBreakReason, detail: string): WalkResult => ({
      ok: false,
      records,
      ...tip,
      break: { file, line: i + 1, seq: expected, reason, detail },
    });
    let rec: unknown;
    try {
      rec = parsePyJson(raw.trim());
    } catch (err) {
      return broke("malformed_json", (err as Error).message);
    }
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) return broke("missing_chain_fields", "the line is not a JSON object");
    const obj = rec as Record<string, unknown>;
    const missing = CHAIN_KEYS.filter((k) => !Object.hasOwn(obj, k));
    if (missing.length > 0) return broke("missing_chain_fields", `missing ${missing.join(", ")}`);
    if (obj.seq !== expected) return broke("seq_gap", `expected seq=${expected}, found ${String(obj.seq)}`);
    if (obj.prev_record_hash !== tip.hash) {
      return broke("prev_hash_mismatch", `expected prev_record_hash=${tip.hash}, found ${String(obj.prev_record_hash)}`);
    }
    const payload: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (!CHAIN_KEYS.includes(k)) Object.defineProperty(payload, k, { value: v, enumerable: true });
    }
    const recomputed = recordHash(expected, tip.hash, payload);
    if (obj.record_hash !== recomputed) {
      return broke("record_hash_mismatch", `stored ${String(obj.record_hash)}, recomputed ${recomputed}`);
    }
    tip = { seq: expected, hash: recomputed };
    records++;
    onRecord?.(expected, recomputed, obj, i + 1);
  }
  return { ok: true, records, ...tip };
}

/** Sealed segments of a chain file (audit_chain.0001.jsonl ...), oldest first. */
export function archiveSegments(chainFile: string): string[] {
  const dir = dirname(chainFile);
  const name = basename(chainFile);
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const suffix = dot > 0 ? name.slice(dot) : "";
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.\\d{4}${escapeRegExp(suffix)}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => pattern.test(n)).sort().map((n) => join(dir, n));
}

/**
 * The tip the active file continues from: the last parseable record of the
 * newest sealed segment, or genesis. (Mirrors ledger.py's append_record.)
 */
export function activeStart(chainFile: string): ChainTip {
  const segments = archiveSegments(chainFile);
  const newest = segments[segments.length - 1];
  if (newest === undefined) return { seq: 0, hash: GENESIS };
  let last: Record<string, unknown> | undefined;
  for (const line of readChainText(newest).split(/\r\n|\r|\n/)) {
    if (line.trim() === "") continue;
    try {
      last = parsePyJson(line.trim()) as Record<string, unknown>;
    } catch {
      break;
    }
  }
  if (last === undefined || typeof last.seq !== "number" || typeof last.record_hash !== "string") return { seq: 0, hash: GENESIS };
  return { seq: last.seq, hash: last.record_hash };
}

/** Where a watched seq was found, and its record_hash there. */
export interface SeqAt {
  file: string;
  line: number;
  hash: string;
}

/**
 * Verify the whole history: every sealed segment, then the active file, as
 * one chain. With `watchSeq`, also says where that seq stands (`watched`).
 * Throws ChainReadError when a file cannot be read.
 */
export function verifyChainFiles(chainFile: string, watchSeq?: number): WalkResult & { watched?: SeqAt } {
  let tip: ChainTip = { seq: 0, hash: GENESIS };
  let records = 0;
  let watched: SeqAt | undefined;
  for (const file of [...archiveSegments(chainFile), chainFile]) {
    const text = readChainText(file, true);
    const result = walkChain(text, file, tip, (seq, hash, _r, line) => {
      if (seq === watchSeq) watched = { file, line, hash };
    });
    records += result.records;
    if (!result.ok) return { ...result, records, ...(watched ? { watched } : {}) };
    tip = { seq: result.seq, hash: result.hash };
  }
  return { ok: true, records, ...tip, ...(watched ? { watched } : {}) };
}

/** Where `seq` stands in the sealed segments (newest first), or undefined. */
export function segmentSeqAt(chainFile: string, seq: number): SeqAt | undefined {
  for (const file of archiveSegments(chainFile).reverse()) {
    const lines = readChainText(file).split(/\r\n|\r|\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = (lines[i] ?? "").trim();
      if (raw === "" || !new RegExp(`"seq"\\s*:\\s*${seq}\\b`).test(raw)) continue;
      try {
        const rec = parsePyJson(raw) as Record<string, unknown>;
        if (rec.seq === seq && typeof rec.record_hash === "string") return { file, line: i + 1, hash: rec.record_hash };
      } catch {
        // a malformed line is not the record we look for
      }
    }
  }
  return undefined;
}

/** The text of a chain file; "" when it does not exist and `missingOk`. Only regular files are read (read-file.ts). */
export function readChainText(file: string, missingOk = false): string {
  const read = readStateFile(file, { maxBytes: MAX_CHAIN_BYTES });
  if (read.ok) return read.text;
  if (read.failure === "missing" && missingOk) return "";
  throw new ChainReadError(read.reason);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
