/**
 * Deciding several queued calls against one read of the facts. Each call is
 * decided as if every earlier allowed call of the batch were resting on the
 * exchange: the trade count goes up by one per allowed order, and each
 * allowed order (an amend's new values too, without removing the old ones)
 * is added as a resting order, which exposure counts at its worst case. So a
 * batch is never looser than the same calls one at a time, whatever becomes
 * of the earlier ones; at worst a little stricter.
 */
import type { Decision, GateIntent, OrderRow, RawFacts } from "../gate/types.js";

export interface Landed {
  orders: OrderRow[];
  trades: number;
}

export function emptyLanded(): Landed {
  return { orders: [], trades: 0 };
}

/** The facts for the next call: the batch's reads plus what allowed calls before it added. */
export function withLanded(raw: RawFacts, landed: Landed): RawFacts {
  if (landed.trades === 0 && landed.orders.length === 0) return raw;
  return {
    ...raw,
    tradesToday: raw.tradesToday === null ? null : raw.tradesToday + landed.trades,
    openOrders: raw.openOrders === null ? null : [...raw.openOrders, ...landed.orders],
  };
}

/**
 * Record an allowed call's effect for the calls after it in the batch: as a
 * resting order, valued at its worst case. It has not been sent yet, so it
 * may be refused or fill only in part: an order that would reduce exposure
 * must not make room for the ones after it.
 */
export function land(landed: Landed, intent: GateIntent, decision: Decision, index: number): void {
  if (intent.tool === "place_order") landed.trades += 1;
  if (intent.tool !== "place_order" && intent.tool !== "amend_order") return;
  const facts = decision.facts as { order?: { notional_usd_exact?: string | null }; intent?: { side?: string | null } };
  const notional = facts.order?.notional_usd_exact ?? undefined;
  const side = intent.side ?? (facts.intent?.side === "sell" ? "Sell" : "Buy");
  const existing = intent.existingOrder;
  const qty = intent.qty ?? existing?.leavesQty ?? existing?.qty ?? "0";
  landed.orders.push({
    category: intent.category,
    orderId: `batch-${index}`,
    symbol: intent.symbol,
    side,
    orderType: intent.tool === "place_order" ? intent.orderType : "Limit",
    marketUnit: intent.marketUnit,
    price: intent.price ?? existing?.price,
    qty,
    leavesQty: qty,
    leavesValue: notional ?? undefined,
    orderStatus: "New",
    positionIdx: intent.positionIdx ?? existing?.positionIdx,
  });
}
