/**
 * Closing journal entries that a crash left open (state/journal.ts). Run
 * under the order lock, at start and before each batch, for entries older
 * than `staleMs` (the request timeout plus Bybit's receive window):
 *
 *  1. the call's record is already in the ledger (the crash came after it):
 *     close the entry as that record says; the count is left as it is
 *     (over-counting is the safe side);
 *  2. otherwise the order is looked up by orderLinkId and matched to what
 *     was sent (lookup.ts): found, it is accepted or rejected; not found, it
 *     never executed — Bybit refuses a request that arrives more than
 *     recv_window after its signed timestamp, and staleMs is past that — so
 *     its count is given back; a lookup that fails leaves the entry open for
 *     the next batch, still counted;
 *  3. its one outcome record is written, then the entry closed.
 *
 * Nothing is ever sent again.
 */
import type { BybitClient } from "../bybit/client.js";
import { errorMessage } from "../errors.js";
import type { Category } from "../gate/types.js";
import type { Logger } from "../log.js";
import type { AuditInput } from "../state/index.js";
import type { JournalClose, JournalEntry, JournalOutcome } from "../state/journal.js";
import { lookupSentOrder } from "./lookup.js";
import type { Outcome } from "./outcome.js";
import type { Clock, Stores } from "./stores.js";

export interface ReconcileDeps {
  stores: Stores;
  client: BybitClient;
  clock: Clock;
  logger: Logger;
  staleMs: number;
}

/** How each outcome closes its journal entry. */
export function journalOutcome(o: Outcome): JournalOutcome {
  return o.type === "refused" ? "not_sent" : o.type;
}

/** The record of a reconciled entry: the template journaled before the send, with the outcome found now. */
function reconciledInput(entry: JournalEntry, outcome: Outcome): AuditInput {
  const t = entry.open.record as unknown as AuditInput;
  const extra = { ...(t.extra ?? {}), reconciled: true };
  switch (outcome.type) {
    case "accepted":
      return { ...t, kind: "order_placed", outcome: "accepted", broker_response: outcome.response, error: null, extra: { ...extra, note: outcome.note } };
    case "rejected":
      return { ...t, kind: "order_rejected", outcome: "error", broker_response: outcome.response, error: outcome.retMsg, extra };
    case "unknown":
      return { ...t, kind: "order_rejected", outcome: "unknown", broker_response: null, error: `outcome unknown, the order may have executed: ${outcome.detail}`, extra };
    case "refused":
      return { ...t, kind: "order_rejected", outcome: "blocked", broker_response: null, error: outcome.reason, extra };
  }
}

/** What became of an entry's order, or null when it cannot be told yet. */
async function findOutcome(deps: ReconcileDeps, entry: JournalEntry): Promise<Outcome | null> {
  const { open } = entry;
  const body = open.body;
  if (open.tool === "amend_order") {
    // An amend changes an order that exists either way; what it was changed to cannot be proven from here.
    return { type: "unknown", detail: "the server stopped before the amend's answer; check the order's qty and price." };
  }
  const found = await lookupSentOrder(deps.client, {
    category: body.category as Category,
    symbol: String(body.symbol),
    orderLinkId: open.order_link_id,
    side: String(body.side),
    qty: String(body.qty),
    price: body.orderType === "Limit" ? String(body.price) : undefined,
    notBeforeMs: open.ts_ms + deps.client.clockOffsetMs - 1000,
  });
  if (found.found && found.status === "accepted") {
    const { orderId, orderStatus } = found.row;
    return { type: "accepted", response: { orderId, orderLinkId: open.order_link_id, orderStatus }, note: "Reconciled after a restart: found by orderLinkId." };
  }
  if (found.found) return { type: "rejected", retCode: null, retMsg: `order found by orderLinkId with status ${String(found.row.orderStatus)}`, response: found.row };
  if (found.error) return null;
  if (found.mismatch) return { type: "unknown", detail: `an order with orderLinkId ${open.order_link_id} exists but is not the one sent (${found.mismatch}).` };
  return {
    type: "rejected",
    retCode: null,
    retMsg: "not found on Bybit after its receive window had passed: the order never executed (the server stopped before its answer)",
    response: null,
  };
}

/** Reconcile every stale open entry; returns how many were closed. Call under the order lock. Throws when the journal or ledger cannot be used. */
export async function reconcileOpen(deps: ReconcileDeps): Promise<number> {
  const { journal, ledger, counter } = deps.stores;
  if (!journal) return 0;
  const now = deps.clock.now();
  const stale = (await journal.openEntries()).filter((e) => now - e.open.ts_ms >= deps.staleMs);
  let closed = 0;
  for (const entry of stale) {
    const existing = await ledger.findByDecisionId(entry.open.decision_id);
    if (existing) {
      const outcome: JournalOutcome = existing.status === "unknown" ? "unknown" : existing.outcome === "accepted" ? "accepted" : existing.outcome === "blocked" ? "not_sent" : "rejected";
      await journal.close([{ op: "close", decision_id: entry.open.decision_id, outcome, audit_id: existing.audit_id, ts_ms: now }]);
      closed++;
      continue;
    }
    let outcome: Outcome | null;
    try {
      outcome = await findOutcome(deps, entry);
    } catch (err) {
      deps.logger.warn("reconcile lookup failed; the entry stays open and counted", { decision_id: entry.open.decision_id, error: errorMessage(err) });
      continue;
    }
    if (outcome === null) continue;
    const [record] = await ledger.appendManyAsync([reconciledInput(entry, outcome)]);
    const close: JournalClose = { op: "close", decision_id: entry.open.decision_id, outcome: journalOutcome(outcome), audit_id: record?.audit_id ?? null, ts_ms: now };
    // Proven not executed: the trade it was counted for is given back (same UTC day only).
    if (outcome.type === "rejected" && entry.open.counted_day === new Date(now).toISOString().slice(0, 10)) {
      await counter.release(now, 1).then(
        () => (close.released = true),
        (err: unknown) => deps.logger.error("could not give back the trade of a reconciled order", { error: err }),
      );
    }
    await journal.close([close]);
    deps.logger.info("reconciled a journal entry left open", { decision_id: entry.open.decision_id, order_link_id: entry.open.order_link_id, outcome: close.outcome });
    closed++;
  }
  return closed;
}
