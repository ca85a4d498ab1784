/**
 * Deciding several queued calls against one read of the facts. Each call is
 * decided as if every earlier allowed call of the batch had already landed:
 * the trade count goes up by one per allowed order, and each allowed order is
 * added to the facts the way the exchange would show it next — a market
 * order as a position of its notional, a limit order (and an amend's new
 * values, without removing the old ones) as a resting order. So a batch is
 * never looser than the same calls one at a time; at worst a little stricter.
 */
import type { Decision, GateIntent, OrderRow, PositionRow, RawFacts } from "../gate/types.js";

export interface Landed {
  positions: PositionRow[];
  orders: OrderRow[];
  trades: number;
}

export function emptyLanded(): Landed {
  return { positions: [], orders: [], trades: 0 };
}

/** The facts for the next call: the batch's reads plus what allowed calls before it added. */
export function withLanded(raw: RawFacts, landed: Landed): RawFacts {
  if (landed.trades === 0 && landed.positions.length === 0 && landed.orders.length === 0) return raw;
  return {
    ...raw,
    tradesToday: raw.tradesToday === null ? null : raw.tradesToday + landed.trades,
    positions: raw.positions === null ? null : [...raw.positions, ...landed.positions],
    openOrders: raw.openOrders === null ? null : [...raw.openOrders, ...landed.orders],
  };
}

/** Record an allowed call's effect for the calls after it in the batch. */
export function land(landed: Landed, intent: GateIntent, decision: Decision, index: number): void {
  if (intent.tool === "place_order") landed.trades += 1;
  if (intent.tool !== "place_order" && intent.tool !== "amend_order") return;
  const facts = decision.facts as { order?: { notional_usd_exact?: string | null }; intent?: { side?: string | null } };
  const notional = facts.order?.notional_usd_exact ?? null;
  const side = intent.side ?? (facts.intent?.side === "sell" ? "Sell" : "Buy");
  if (intent.tool === "place_order" && intent.orderType === "Market" && notional !== null) {
    landed.positions.push(
      intent.category === "inverse"
        ? { category: intent.category, symbol: intent.symbol, side, size: intent.qty ?? "0" }
        : { category: intent.category, symbol: intent.symbol, side, size: intent.qty ?? "0", positionValue: notional },
    );
    return;
  }
  const existing = intent.existingOrder;
  const qty = intent.qty ?? existing?.leavesQty ?? existing?.qty ?? "0";
  landed.orders.push({
    category: intent.category,
    orderId: `batch-${index}`,
    symbol: intent.symbol,
    side,
    orderType: "Limit",
    price: intent.price ?? existing?.price,
    qty,
    leavesQty: qty,
    leavesValue: notional ?? undefined,
    orderStatus: "New",
  });
}
