/**
 * Finding our ledger records that stand in one file without the other.
 *
 * An append writes audit.jsonl, then the chain, then fsyncs both (in
 * parallel on the async path). A crash between the two writes leaves a
 * record in audit.jsonl only; a crash while both fsyncs run can leave one in
 * the chain only. The next append (the first of a process) or an explicit
 * reconcile() finds these by audit_id and appends the missing copy, so both
 * files hold every record once.
 *
 * Only our own records are touched: they carry `redacted_paths` (buildRecord
 * sets it on every record; Vibe-Trading's writer does not). And only records
 * newer than the last record both files hold are candidates: that anchors
 * the comparison in place, so a record whose copy was sealed into an older
 * chain segment, or lies beyond the windows read, is never copied twice.
 * With no common record in the windows nothing is done (unsure is not a
 * reason to write).
 */
import { CHAIN_KEYS } from "./chain.js";
import { parsePyJson } from "./pyjson.js";
import { readLinesFromEnd } from "./tail.js";

/** How many of the chain's last records are kept for the comparison. */
export const CHAIN_WINDOW = 256;
/** How many of audit.jsonl's last lines are read for it. */
export const AUDIT_WINDOW = 1024;

type Rec = Record<string, unknown>;

/** Collected while the chain is walked: every audit_id, and the last CHAIN_WINDOW records. */
export class ChainScan {
  readonly ids = new Set<string>();
  readonly recent: Rec[] = [];

  readonly onRecord = (_seq: number, _hash: string, record: Rec): void => {
    if (typeof record.audit_id === "string") this.ids.add(record.audit_id);
    this.recent.push(record);
    if (this.recent.length > CHAIN_WINDOW) this.recent.shift();
  };
}

export interface ReconcilePlan {
  /** Records in audit.jsonl only: append to the chain, oldest first. */
  toChain: Rec[];
  /** Records in the chain only (chain keys removed): append to audit.jsonl, oldest first. */
  toAudit: Rec[];
}

const isOurs = (r: Rec): boolean => typeof r.audit_id === "string" && Array.isArray(r.redacted_paths);

/** What to copy where, given the chain scan and audit.jsonl. Throws AuditError when audit.jsonl cannot be read. */
export function planReconcile(auditFile: string, chain: ChainScan, opts: { historyEmpty: boolean }): ReconcilePlan {
  const audit: Rec[] = []; // newest first
  for (const line of readLinesFromEnd(auditFile)) {
    if (audit.length >= AUDIT_WINDOW) break;
    let rec: unknown;
    try {
      rec = parsePyJson(line);
    } catch {
      continue; // a torn or foreign line: not a record
    }
    if (typeof rec === "object" && rec !== null && !Array.isArray(rec)) audit.push(rec as Rec);
  }
  const auditIds = new Set(audit.map((r) => r.audit_id).filter((id): id is string => typeof id === "string"));

  const inChain = (r: Rec) => typeof r.audit_id === "string" && chain.ids.has(r.audit_id);
  const inAudit = (r: Rec) => typeof r.audit_id === "string" && auditIds.has(r.audit_id);

  // audit.jsonl: ours after the newest record the chain also holds. With an
  // empty chain history (first append ever crashed), everything of ours is after it.
  let anchor = audit.findIndex(inChain);
  if (anchor === -1 && opts.historyEmpty) anchor = audit.length;
  const toChain = anchor === -1 ? [] : audit.slice(0, anchor).filter((r) => isOurs(r) && !inChain(r)).reverse();

  // The chain: ours after the newest record audit.jsonl also holds.
  let k = chain.recent.length - 1;
  while (k >= 0 && !inAudit(chain.recent[k] as Rec)) k--;
  const toAudit = k < 0 ? [] : chain.recent.slice(k + 1).filter((r) => isOurs(r) && !inAudit(r)).map(withoutChainKeys);
  return { toChain, toAudit };
}

function withoutChainKeys(r: Rec): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(r)) if (!CHAIN_KEYS.includes(k)) out[k] = v;
  return out;
}
