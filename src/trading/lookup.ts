/**
 * After a write whose outcome is unknown (timeout, dropped connection,
 * garbled answer), find the order by its orderLinkId: open orders first,
 * then history. The write itself is never sent again.
 *
 * A row is ours only if it is the order we sent: the same orderLinkId AND
 * the same symbol, side, qty and (for a limit order) price, created no
 * earlier than the send. Anything else with that id (an agent reusing an
 * id, another program's order) proves nothing: the outcome stays unknown.
 */
import type { BybitClient } from "../bybit/client.js";
import type { ListResult } from "../bybit/types.js";
import { errorMessage } from "../errors.js";
import type { Category, OrderRow } from "../gate/types.js";
import { decCmp, isDecimal } from "../util/decimal.js";

export type LookupOutcome =
  | { found: true; status: "accepted" | "rejected"; row: OrderRow }
  | { found: false; error?: string; mismatch?: string };

/** What was sent, to match a row against. */
export interface SentOrder {
  category: Category;
  symbol: string;
  orderLinkId: string;
  side: string;
  qty: string;
  /** Limit orders only. */
  price?: string;
  /** Server-clock ms before which the order cannot have been created. */
  notBeforeMs: number;
}

const REJECTED = new Set(["Rejected"]);

type Row = OrderRow & { createdTime?: string };

/** Why `row` is not the order that was sent, or null when it is. */
export function mismatch(row: Row, sent: SentOrder): string | null {
  if (row.orderLinkId !== sent.orderLinkId) return "another orderLinkId";
  if (String(row.symbol).toUpperCase() !== sent.symbol.toUpperCase()) return `symbol ${row.symbol}`;
  if (String(row.side).toLowerCase() !== sent.side.toLowerCase()) return `side ${row.side}`;
  if (!isDecimal(String(row.qty ?? "")) || decCmp(String(row.qty), sent.qty) !== 0) return `qty ${String(row.qty)}`;
  if (sent.price !== undefined && (!isDecimal(String(row.price ?? "")) || decCmp(String(row.price), sent.price) !== 0)) return `price ${String(row.price)}`;
  const created = Number(row.createdTime);
  if (!Number.isFinite(created) || created < sent.notBeforeMs) return `created at ${String(row.createdTime)}, before it was sent`;
  return null;
}

export async function lookupSentOrder(client: BybitClient, sent: SentOrder): Promise<LookupOutcome> {
  let lastError: string | undefined;
  let lastMismatch: string | undefined;
  for (const path of ["/v5/order/realtime", "/v5/order/history"]) {
    try {
      const res = await client.get<ListResult<Row>>(path, { category: sent.category, symbol: sent.symbol, orderLinkId: sent.orderLinkId }, true);
      for (const row of res.result?.list ?? []) {
        if (row.orderLinkId !== sent.orderLinkId) continue;
        const why = mismatch(row, sent);
        if (why === null) return { found: true, status: REJECTED.has(String(row.orderStatus)) ? "rejected" : "accepted", row };
        lastMismatch = why;
      }
    } catch (err) {
      lastError = errorMessage(err);
    }
  }
  if (lastMismatch !== undefined) return { found: false, mismatch: lastMismatch, ...(lastError ? { error: lastError } : {}) };
  return lastError ? { found: false, error: lastError } : { found: false };
}
