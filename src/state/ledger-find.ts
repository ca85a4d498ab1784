/**
 * Find a gated call's record in audit.jsonl by its decision id, newest
 * first and bounded: reconciling a journal entry after a crash first asks
 * whether its one record was already written.
 */
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { AuditError } from "../errors.js";
import type { AuditRecord } from "./audit.js";
import { ensureDir, errCode } from "./fsio.js";
import type { RuntimePaths } from "./paths.js";
import { fileKind } from "./read-file.js";
import { readLinesFromEnd } from "./tail.js";

/** Look through at most `maxLines` of the newest lines. Throws AuditError when the ledger cannot be read. */
export function findRecordByDecisionId(auditFile: string, decisionId: string, maxLines = 20_000): AuditRecord | null {
  const needle = `"decision_id": ${JSON.stringify(decisionId)}`;
  let seen = 0;
  for (const line of readLinesFromEnd(auditFile)) {
    if (++seen > maxLines) break;
    if (!line.includes(needle)) continue;
    try {
      const rec = JSON.parse(line) as AuditRecord;
      if (rec.decision_id === decisionId) return rec;
    } catch {
      // a torn line: not a record
    }
  }
  return null;
}

/**
 * Before anything is sent: both ledger files can be opened for appending
 * (a record that cannot be written afterwards would leave a sent order
 * unaudited). Throws AuditError.
 */
export function assertLedgerWritable(paths: Pick<RuntimePaths, "live" | "audit" | "auditChain">): void {
  try {
    ensureDir(paths.live);
    for (const file of [paths.audit, paths.auditChain]) {
      // O_RDWR|O_NONBLOCK: a FIFO cannot block the open (write-only would wait for a reader for ever).
      const fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw new AuditError(`the audit ledger cannot be written: ${file} is ${fileKind(st)}, not a regular file`);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    if (err instanceof AuditError) throw err;
    throw new AuditError(`the audit ledger cannot be written (${errCode(err) ?? String(err)})`, err);
  }
}
