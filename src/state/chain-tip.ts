/**
 * The chain tip we last wrote, remembered across processes in
 * live/.audit_chain_tip.json: {"seq": N, "record_hash": "sha256:..."}.
 *
 * Why: a chain cut back to a valid prefix (or rewritten from some seq on)
 * verifies cleanly on its own, so a restarted server would go on at seq 3
 * after having written seq 6. The history must always still hold the seq we
 * wrote with the hash we wrote; growth beyond it (Vibe-Trading appends) is fine.
 *
 * It is written under the chain flock, after both ledger files are fsync'd,
 * so it never names a record that is not durable, and it only ever moves
 * forward (every writer extends the chain it just verified). A tip that is
 * lost or stale is merely less strict; one that is unreadable or malformed
 * stops every append (fail closed) until someone looks.
 */
import { basename } from "node:path";
import { AuditError } from "../errors.js";
import type { SeqAt } from "./chain.js";
import { atomicWriteFile, atomicWriteFileAsync } from "./fsio.js";
import { readStateFile } from "./read-file.js";

export interface TipFile {
  seq: number;
  record_hash: string;
}

/** Where the chain stands against the remembered tip, when it does not hold it. */
export interface TipBreak {
  /** The seq the break is reported at. */
  seq: number;
  file: string;
  reason: string;
}

/** The remembered tip, or null when none was written. Throws AuditError when it exists but is not a valid tip. */
export function readTipFile(file: string): TipFile | null {
  const read = readStateFile(file, { maxBytes: 4096 });
  if (!read.ok) {
    if (read.failure === "missing") return null;
    throw new AuditError(`cannot read the remembered chain tip: ${read.reason}; refusing to extend the chain`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    parsed = null;
  }
  const tip = parsed as Partial<TipFile> | null;
  if (
    typeof tip !== "object" ||
    tip === null ||
    !Number.isSafeInteger(tip.seq) ||
    (tip.seq as number) < 1 ||
    typeof tip.record_hash !== "string" ||
    !/^sha256:[0-9a-f]{64}$/.test(tip.record_hash)
  ) {
    throw new AuditError(`${file} is not a valid chain tip ({"seq", "record_hash"}); refusing to extend the chain`);
  }
  return { seq: tip.seq as number, record_hash: tip.record_hash };
}

/*
 * Written atomically with its data fsync'd, but without the directory fsync:
 * a crash can only lose the rename, which leaves the previous (stale, so
 * merely less strict) tip, never an empty one. That keeps it to one extra
 * fsync per append.
 */
export function writeTipFile(file: string, tip: TipFile): void {
  atomicWriteFile(file, `${JSON.stringify({ seq: tip.seq, record_hash: tip.record_hash })}\n`, { syncDir: false });
}

export function writeTipFileAsync(file: string, tip: TipFile): Promise<void> {
  return atomicWriteFileAsync(file, `${JSON.stringify({ seq: tip.seq, record_hash: tip.record_hash })}\n`, { syncDir: false });
}

/**
 * Whether the history holds `tip`: `end` is where the chain now ends, `found`
 * where tip.seq stands in it (undefined when it is not there).
 */
export function tipBreak(tip: TipFile, chainFile: string, end: { seq: number }, found: SeqAt | undefined): TipBreak | null {
  if (end.seq < tip.seq) {
    return {
      seq: end.seq + 1,
      file: chainFile,
      reason: `${basename(chainFile)} was truncated: it ends at seq ${end.seq} but seq ${tip.seq} was written`,
    };
  }
  if (found === undefined) {
    return { seq: tip.seq, file: chainFile, reason: `seq ${tip.seq}, which was written, is no longer in the chain history` };
  }
  if (found.hash !== tip.record_hash) {
    return {
      seq: tip.seq,
      file: found.file,
      reason: `${basename(found.file)} was rewritten: seq ${tip.seq} now has record_hash ${found.hash} but ${tip.record_hash} was written`,
    };
  }
  return null;
}
