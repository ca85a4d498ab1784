/**
 * After a write whose outcome is unknown (timeout, dropped connection,
 * garbled answer), find the order by its orderLinkId: open orders first,
 * then history. The write itself is never sent again.
 */
import type { BybitClient } from "../bybit/client.js";
import type { ListResult } from "../bybit/types.js";
import type { Category, OrderRow } from "../gate/types.js";

export type LookupOutcome =
  | { found: true; status: "accepted" | "rejected"; row: OrderRow }
  | { found: false; error?: string };

const REJECTED = new Set(["Rejected"]);

export async function lookupByOrderLinkId(client: BybitClient, category: Category, symbol: string, orderLinkId: string): Promise<LookupOutcome> {
  let lastError: string | undefined;
  for (const path of ["/v5/order/realtime", "/v5/order/history"]) {
    try {
      const res = await client.get<ListResult<OrderRow>>(path, { category, symbol, orderLinkId }, true);
      const row = res.result?.list?.find((r) => r.orderLinkId === orderLinkId);
      if (row) return { found: true, status: REJECTED.has(String(row.orderStatus)) ? "rejected" : "accepted", row };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
  }
  return lastError ? { found: false, error: lastError } : { found: false };
}
