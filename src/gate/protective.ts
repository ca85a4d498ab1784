/**
 * Protective orders: the resting orders that limit a loss or lock in a gain
 * (reduce-only, close-on-trigger, take-profit / stop-loss and other stop or
 * trigger orders). While trading is halted or the mandate expired, cancelling
 * one would raise the risk a halt is meant to cap, so cancel_all keeps them
 * and a single cancel of one is denied.
 *
 * Pure, and errs towards "protective": a row that looks like a stop in any
 * one way counts as one, so a cancel during a halt never removes it.
 */
import { decCmp, isDecimal } from "../util/decimal.js";
import type { OrderRow } from "./types.js";

/**
 * Bybit's stopOrderType on a plain (non-conditional) order: "" or, in some
 * responses, "UNKNOWN" (v5 docs: "If the order is not stop order, it either
 * returns UNKNOWN or \"\"").
 */
const PLAIN_STOP_ORDER_TYPES = new Set(["", "UNKNOWN"]);

/** True for a reduce-only, close-on-trigger, TP/SL, stop or trigger (Untriggered) order. */
export function isProtectiveOrder(row: OrderRow): boolean {
  return protectionOf(row).length > 0;
}

/** Why a row is protective, for a person ("reduce-only", "StopLoss order", ...); empty for an entry order. */
export function protectionOf(row: OrderRow): string[] {
  const why: string[] = [];
  if (row.reduceOnly === true) why.push("reduce-only");
  if (row.closeOnTrigger === true) why.push("close-on-trigger");
  const stopType: unknown = row.stopOrderType;
  // Anything but a known plain marker (a non-string included) is a stop of some kind.
  if (stopType !== undefined && stopType !== null && (typeof stopType !== "string" || !PLAIN_STOP_ORDER_TYPES.has(stopType.trim()))) {
    why.push(`${String(stopType).trim()} order`);
  }
  // Only a conditional order waits for its trigger.
  if (row.orderStatus === "Untriggered") why.push("untriggered");
  if (hasTrigger(row.triggerPrice)) why.push(`trigger price ${String(row.triggerPrice)}`);
  return why;
}

/** Bybit sends "" or "0" when there is no trigger; any other value is one (garbage included). */
function hasTrigger(trigger: unknown): boolean {
  if (trigger === undefined || trigger === null || (typeof trigger === "string" && trigger.trim() === "")) return false;
  return !(isDecimal(trigger) && decCmp(trigger, "0") <= 0);
}
