/**
 * Order endpoints: create (validated, Market orders fill at once, Limit
 * orders rest as New without matching), amend, cancel, cancel-all, and the
 * realtime and history queries.
 */
import { randomUUID } from "node:crypto";
import { decCmp, decDiv, decMul, decSub } from "../util/decimal.js";
import { ILLEGAL_CATEGORY, RetCodeError, SYMBOL_INVALID, intParam, paginate, paramsError } from "./envelope.js";
import { type Instrument, findInstrument } from "./fixtures.js";
import { type Book, isOpen } from "./book.js";
import { checkDerivativeQty, checkOrderLinkId, checkPrice, checkSpotQty, decimalField, stringField } from "./order-rules.js";
import { floorToStep } from "./prices.js";
import { type Category, type SimOrder, isCategory } from "./types.js";

export type Params = Record<string, unknown>;

function categoryOf(p: Params): Category {
  if (!isCategory(p.category)) throw ILLEGAL_CATEGORY();
  return p.category;
}

function instrumentOf(c: Category, p: Params): Instrument {
  const symbol = p.symbol;
  if (typeof symbol !== "string" || symbol === "") throw paramsError("symbol is required");
  const inst = findInstrument(c, symbol);
  if (!inst) throw c === "spot" ? new RetCodeError(170121, "Invalid symbol.") : SYMBOL_INVALID();
  return inst;
}

function boolField(p: Params, name: string): boolean {
  const v = p[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw paramsError(`${name} invalid`);
  return v;
}

function createOrder(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const inst = instrumentOf(c, p);
  const side = p.side;
  if (side !== "Buy" && side !== "Sell") throw paramsError("side invalid");
  const orderType = p.orderType;
  if (orderType !== "Market" && orderType !== "Limit") throw paramsError("orderType invalid");
  const qty = decimalField(p, "qty", true)!;
  const price = orderType === "Limit" ? decimalField(p, "price", true)! : undefined;
  const tif = stringField(p, "timeInForce") ?? (orderType === "Market" ? "IOC" : "GTC");
  if (!["GTC", "IOC", "FOK", "PostOnly", "RPI"].includes(tif)) throw paramsError("timeInForce invalid");
  const positionIdx = p.positionIdx ?? 0;
  if (positionIdx !== 0 && positionIdx !== "0") throw paramsError("position idx not match position mode");
  const orderLinkId = stringField(p, "orderLinkId") ?? "";
  if (orderLinkId) checkOrderLinkId(orderLinkId);
  const reduceOnly = c !== "spot" && boolField(p, "reduceOnly");
  const marketUnit = stringField(p, "marketUnit");
  if (marketUnit !== undefined && marketUnit !== "baseCoin" && marketUnit !== "quoteCoin") throw paramsError("marketUnit invalid");
  const takeProfit = decimalField(p, "takeProfit", false);
  const stopLoss = decimalField(p, "stopLoss", false);

  if (orderLinkId && book.state.orders.some((o) => o.orderLinkId === orderLinkId)) {
    throw new RetCodeError(110072, "OrderLinkedID is duplicate");
  }
  if (price !== undefined) checkPrice(inst, price);
  const quote = book.prices.quote(inst);
  // Market orders fill at the mark (spot: at the ask for buys, the bid for sells).
  const fillPrice = c === "spot" ? (side === "Buy" ? quote.ask : quote.bid) : quote.mark;
  const refPrice = price ?? fillPrice;
  const quoteUnit = c === "spot" && orderType === "Market" && side === "Buy" && marketUnit !== "baseCoin";
  if (c === "spot") checkSpotQty(inst, qty, quoteUnit, refPrice);
  else checkDerivativeQty(inst, qty, orderType === "Market", refPrice, reduceOnly);

  const position = book.position(c, inst.symbol);
  if (reduceOnly && (!position || position.side === side)) {
    throw new RetCodeError(110017, position ? "reduce-only order has same side with current position" : "current position is zero, cannot fix reduce-only order qty");
  }
  checkFunds(book, inst, side, qty, refPrice, quoteUnit, reduceOnly);

  const now = String(book.now());
  const order: SimOrder = {
    category: c,
    orderId: randomUUID(),
    orderLinkId,
    symbol: inst.symbol,
    price: price ?? (c === "spot" ? "0" : fillPrice),
    qty,
    side,
    isLeverage: c === "spot" ? "0" : "",
    positionIdx: 0,
    orderStatus: "New",
    createType: "CreateByUser",
    cancelType: "UNKNOWN",
    rejectReason: "EC_NoError",
    avgPrice: "0",
    leavesQty: qty,
    leavesValue: price === undefined ? "0" : decMul(qty, price),
    cumExecQty: "0",
    cumExecValue: "0",
    cumExecFee: "0",
    timeInForce: orderType === "Market" ? "IOC" : tif,
    orderType,
    stopOrderType: "",
    orderIv: "",
    marketUnit: c === "spot" && orderType === "Market" ? (quoteUnit ? "quoteCoin" : "baseCoin") : "",
    triggerPrice: "",
    takeProfit: takeProfit ?? "",
    stopLoss: stopLoss ?? "",
    tpTriggerBy: takeProfit ? "LastPrice" : "",
    slTriggerBy: stopLoss ? "LastPrice" : "",
    triggerDirection: 0,
    triggerBy: "",
    lastPriceOnCreated: quote.last,
    reduceOnly,
    closeOnTrigger: false,
    smpType: "None",
    smpGroup: 0,
    smpOrderId: "",
    tpslMode: takeProfit || stopLoss ? "Full" : "",
    tpLimitPrice: "",
    slLimitPrice: "",
    placeType: "",
    createdTime: now,
    updatedTime: now,
  };
  if (orderType === "Market") fillMarket(book, inst, order, fillPrice, quoteUnit, { takeProfit, stopLoss });
  book.state.orders.push(order);
  return { orderId: order.orderId, orderLinkId: order.orderLinkId };
}

/** 110007 (spot 170131) when the order would need more than the available balance. */
function checkFunds(book: Book, inst: Instrument, side: "Buy" | "Sell", qty: string, price: string, quoteUnit: boolean, reduceOnly: boolean): void {
  if (inst.category === "spot") {
    const coin = side === "Buy" ? inst.quoteCoin : inst.baseCoin;
    const need = side === "Sell" ? qty : quoteUnit ? qty : decMul(qty, price);
    if (decCmp(need, book.available(coin)) > 0) throw new RetCodeError(170131, "Insufficient balance.");
    return;
  }
  if (reduceOnly) return;
  const p = book.position(inst.category, inst.symbol);
  // The part of an order that closes an opposite position needs no margin.
  const closing = p && p.side !== side ? p.size : "0";
  const opening = decCmp(qty, closing) > 0 ? decSub(qty, closing) : "0";
  const cost = book.margin(inst, opening, price);
  if (decCmp(cost, book.available(book.marginCoin(inst))) > 0) {
    throw new RetCodeError(110007, "ab not enough for new order");
  }
}

function fillMarket(book: Book, inst: Instrument, order: SimOrder, price: string, quoteUnit: boolean, tpsl: { takeProfit?: string; stopLoss?: string }): void {
  let filled = order.qty;
  if (inst.category === "spot") {
    const base = quoteUnit ? floorToStep(decDiv(order.qty, price, 12), inst.lot.qtyStep) : order.qty;
    const value = decMul(base, price);
    if (order.side === "Buy") {
      book.credit(inst.quoteCoin, decSub("0", value));
      book.credit(inst.baseCoin, base);
    } else {
      book.credit(inst.baseCoin, decSub("0", base));
      book.credit(inst.quoteCoin, value);
    }
    filled = base;
  } else {
    const p = book.position(inst.category, inst.symbol);
    // Reduce-only never opens: it fills at most the position's size.
    if (order.reduceOnly && p && decCmp(filled, p.size) > 0) filled = p.size;
    book.fillDerivative(inst, order.side, filled, price, tpsl);
  }
  const value = inst.category === "inverse" ? decDiv(filled, price, 8) : decMul(filled, price);
  order.cumExecQty = filled;
  order.cumExecValue = value;
  order.avgPrice = price;
  order.leavesQty = "0";
  order.leavesValue = "0";
  const complete = inst.category === "spot" || decCmp(filled, order.qty) === 0;
  order.orderStatus = complete ? "Filled" : "Cancelled";
  if (!complete) order.cancelType = "CancelByReduceOnly";
}

/** The open order named by orderId or orderLinkId in that category and symbol. */
function findOpen(book: Book, c: Category, inst: Instrument, p: Params): SimOrder | undefined {
  const orderId = stringField(p, "orderId");
  const orderLinkId = stringField(p, "orderLinkId");
  if (!orderId && !orderLinkId) throw paramsError("orderId or orderLinkId is required");
  return book.state.orders.find(
    (o) =>
      o.category === c &&
      o.symbol === inst.symbol &&
      isOpen(o) &&
      (orderId ? o.orderId === orderId : o.orderLinkId === orderLinkId),
  );
}

function amendOrder(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const inst = instrumentOf(c, p);
  const order = findOpen(book, c, inst, p);
  if (!order) throw new RetCodeError(c === "spot" ? 170213 : 110001, c === "spot" ? "Order does not exist." : "order not exists or too late to replace");
  const qty = decimalField(p, "qty", false);
  const price = decimalField(p, "price", false);
  const takeProfit = decimalField(p, "takeProfit", false);
  const stopLoss = decimalField(p, "stopLoss", false);
  if (price !== undefined) checkPrice(inst, price);
  const newQty = qty ?? order.qty;
  const newPrice = order.orderType === "Limit" ? (price ?? order.price) : order.price;
  if (qty !== undefined) {
    if (c === "spot") checkSpotQty(inst, newQty, false, newPrice);
    else checkDerivativeQty(inst, newQty, false, newPrice, order.reduceOnly);
  }
  const unchanged =
    newQty === order.qty && newPrice === order.price && (takeProfit ?? order.takeProfit) === order.takeProfit && (stopLoss ?? order.stopLoss) === order.stopLoss;
  if (unchanged) throw new RetCodeError(10001, "The order remains unchanged as the parameters entered match the existing ones.");
  order.qty = newQty;
  order.price = newPrice;
  order.leavesQty = decSub(newQty, order.cumExecQty);
  order.leavesValue = decMul(order.leavesQty, newPrice);
  if (takeProfit !== undefined) order.takeProfit = takeProfit;
  if (stopLoss !== undefined) order.stopLoss = stopLoss;
  order.updatedTime = String(book.now());
  return { orderId: order.orderId, orderLinkId: order.orderLinkId };
}

function cancel(order: SimOrder, now: number): void {
  order.orderStatus = "Cancelled";
  order.cancelType = "CancelByUser";
  order.leavesQty = "0";
  order.leavesValue = "0";
  order.updatedTime = String(now);
}

function cancelOrder(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const inst = instrumentOf(c, p);
  const order = findOpen(book, c, inst, p);
  if (!order) throw new RetCodeError(c === "spot" ? 170213 : 110001, "Order does not exist.");
  cancel(order, book.now());
  return { orderId: order.orderId, orderLinkId: order.orderLinkId };
}

/** Orders of a category matching the symbol / baseCoin / settleCoin filters. */
function matching(book: Book, c: Category, p: Params): SimOrder[] {
  const symbol = stringField(p, "symbol");
  const baseCoin = stringField(p, "baseCoin");
  const settleCoin = stringField(p, "settleCoin");
  if (symbol && !findInstrument(c, symbol)) throw c === "spot" ? new RetCodeError(170121, "Invalid symbol.") : SYMBOL_INVALID();
  return book.state.orders.filter((o) => {
    if (o.category !== c) return false;
    if (symbol && o.symbol !== symbol) return false;
    const inst = findInstrument(c, o.symbol);
    if (baseCoin && inst?.baseCoin !== baseCoin) return false;
    if (settleCoin && inst?.settleCoin !== settleCoin) return false;
    return true;
  });
}

function cancelAll(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const now = book.now();
  const list = matching(book, c, p)
    .filter(isOpen)
    .map((o) => {
      cancel(o, now);
      return { orderId: o.orderId, orderLinkId: o.orderLinkId };
    });
  return { list, success: "1" };
}

const newestFirst = (a: SimOrder, b: SimOrder): number => Number(b.createdTime) - Number(a.createdTime);
const row = ({ category: _c, ...rest }: SimOrder): Omit<SimOrder, "category"> => rest;

/**
 * Open orders; a lookup by orderId or orderLinkId also finds the order once
 * it is filled or cancelled, as Bybit's realtime endpoint does for recent orders.
 */
function realtime(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const orderId = stringField(p, "orderId");
  const orderLinkId = stringField(p, "orderLinkId");
  const limit = intParam(stringField(p, "limit"), "limit", 1, 50, 20);
  let list = matching(book, c, p);
  if (orderId) list = list.filter((o) => o.orderId === orderId);
  if (orderLinkId) list = list.filter((o) => o.orderLinkId === orderLinkId);
  if (!orderId && !orderLinkId) list = list.filter(isOpen);
  const { page, nextPageCursor } = paginate([...list].reverse().sort(newestFirst), limit, stringField(p, "cursor"));
  return { category: c, list: page.map(row), nextPageCursor };
}

const SEVEN_DAYS = 7 * 86_400_000;

function history(p: Params, book: Book): unknown {
  const c = categoryOf(p);
  const limit = intParam(stringField(p, "limit"), "limit", 1, 50, 20);
  const startTime = intParam(stringField(p, "startTime"), "startTime", 0, Number.MAX_SAFE_INTEGER, -1);
  const endTime = intParam(stringField(p, "endTime"), "endTime", 0, Number.MAX_SAFE_INTEGER, -1);
  const end = endTime >= 0 ? endTime : startTime >= 0 ? startTime + SEVEN_DAYS : book.now();
  const start = startTime >= 0 ? startTime : end - SEVEN_DAYS;
  if (end - start > SEVEN_DAYS) throw paramsError("The time range between startTime and endTime cannot exceed 7 days");
  const orderId = stringField(p, "orderId");
  const orderLinkId = stringField(p, "orderLinkId");
  const orderStatus = stringField(p, "orderStatus");
  const list = matching(book, c, p).filter(
    (o) =>
      Number(o.createdTime) >= start &&
      Number(o.createdTime) <= end &&
      (!orderId || o.orderId === orderId) &&
      (!orderLinkId || o.orderLinkId === orderLinkId) &&
      (!orderStatus || o.orderStatus === orderStatus),
  );
  const { page, nextPageCursor } = paginate([...list].reverse().sort(newestFirst), limit, stringField(p, "cursor"));
  return { category: c, list: page.map(row), nextPageCursor };
}

export const ORDER_ROUTES = {
  "/v5/order/create": { method: "POST", handler: createOrder },
  "/v5/order/amend": { method: "POST", handler: amendOrder },
  "/v5/order/cancel": { method: "POST", handler: cancelOrder },
  "/v5/order/cancel-all": { method: "POST", handler: cancelAll },
  "/v5/order/realtime": { method: "GET", handler: realtime },
  "/v5/order/history": { method: "GET", handler: history },
} as const;
