/**
 * Checks an order's parameters against the instrument filters with the
 * retCodes Bybit uses: derivatives answer 10001 for qty step and qty
 * bounds and 110094 below the minimum notional; spot answers 170137 for
 * too many decimals, 170136 below the minimum qty, 170140 below the
 * minimum order value and 170124 above the maximum.
 */
import { decCmp, decIsMultiple, decMul } from "../util/decimal.js";
import { RetCodeError, paramsError } from "./envelope.js";
import type { Instrument } from "./fixtures.js";

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/** A positive plain decimal string (Bybit wants strings; numbers are a params error here). */
export function decimalField(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === "") {
    if (required) throw paramsError(`${name} is required`);
    return undefined;
  }
  if (typeof v !== "string" || !PLAIN_DECIMAL.test(v)) throw paramsError(`${name} invalid`);
  return v;
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw paramsError(`${name} invalid`);
  return v;
}

const LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

export function checkOrderLinkId(id: string): void {
  if (!LINK_ID.test(id)) throw paramsError("orderLinkId invalid: at most 36 characters of A-Z a-z 0-9 - _");
}

export function checkPrice(inst: Instrument, price: string): void {
  if (decCmp(price, "0") <= 0) throw paramsError("price invalid");
  if (!decIsMultiple(price, inst.tickSize)) {
    if (inst.category === "spot") throw new RetCodeError(170134, "Order price decimal too long.");
    throw paramsError(`price must be a multiple of tickSize ${inst.tickSize}`);
  }
  if (inst.category !== "spot" && (decCmp(price, inst.minPrice) < 0 || decCmp(price, inst.maxPrice) > 0)) {
    throw new RetCodeError(110003, `Order price is out of permissible range [${inst.minPrice}, ${inst.maxPrice}].`);
  }
}

/**
 * Derivatives qty and notional. `refPrice` is the limit price, or the mark
 * for a Market order.
 */
export function checkDerivativeQty(inst: Instrument, qty: string, market: boolean, refPrice: string, reduceOnly: boolean): void {
  const lot = inst.lot;
  if (decCmp(qty, "0") <= 0) throw paramsError("Qty invalid");
  if (decCmp(qty, lot.minOrderQty) < 0) throw new RetCodeError(10001, "The number of contracts exceeds minimum limit allowed");
  if (!decIsMultiple(qty, lot.qtyStep)) throw paramsError(`Qty invalid: qty must be a multiple of qtyStep ${lot.qtyStep}`);
  const max = market && lot.maxMktOrderQty ? lot.maxMktOrderQty : lot.maxOrderQty;
  if (decCmp(qty, max) > 0) throw new RetCodeError(10001, "The number of contracts exceeds maximum limit allowed");
  const minNotional = lot.minNotionalValue;
  if (!reduceOnly && inst.category === "linear" && minNotional && decCmp(decMul(qty, refPrice), minNotional) < 0) {
    throw new RetCodeError(110094, `Order does not meet minimum order value ${minNotional}${inst.quoteCoin}`);
  }
}

/**
 * Spot qty: in the quote coin for a Market Buy with marketUnit quoteCoin
 * (the default), otherwise in the base coin valued at `refPrice`.
 */
export function checkSpotQty(inst: Instrument, qty: string, quoteUnit: boolean, refPrice: string): void {
  const lot = inst.lot;
  const step = quoteUnit ? (lot.quotePrecision ?? "0.01") : lot.qtyStep;
  if (decCmp(qty, "0") <= 0) throw paramsError("qty invalid");
  if (!decIsMultiple(qty, step)) throw new RetCodeError(170137, "Order quantity has too many decimals.");
  const value = quoteUnit ? qty : decMul(qty, refPrice);
  if (!quoteUnit && decCmp(qty, lot.minOrderQty) < 0) throw new RetCodeError(170136, "Order quantity exceeded lower limit.");
  if (lot.minOrderAmt && decCmp(value, lot.minOrderAmt) < 0) throw new RetCodeError(170140, "Order value exceeded lower limit.");
  if (!quoteUnit && decCmp(qty, lot.maxOrderQty) > 0) throw new RetCodeError(170124, "Order amount too large.");
  if (lot.maxOrderAmt && decCmp(value, lot.maxOrderAmt) > 0) throw new RetCodeError(170124, "Order amount too large.");
}
