/**
 * Bybit v5 wire types, split as Bybit's docs are. Decimals stay strings, as
 * Bybit sends them, on the wire and in the ledger.
 */
export type { Category, Side, OrderRow, PositionRow, Quote } from "../gate/types.js";

/** The v5 envelope around every answer. */
export interface Envelope<T> {
  retCode: number;
  retMsg: string;
  result: T;
  retExtInfo?: unknown;
  time: number;
}

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  resetAtMs: number;
}

/** A page of rows with Bybit's opaque cursor ("" on the last page). */
export interface ListResult<Row> {
  category?: string;
  list: Row[];
  nextPageCursor?: string;
}

/** Ticker row fields the server reads (Bybit sends more). */
export interface TickerRow {
  symbol: string;
  lastPrice?: string;
  markPrice?: string;
  indexPrice?: string;
  underlyingPrice?: string;
  bid1Price?: string;
  ask1Price?: string;
  turnover24h?: string;
  volume24h?: string;
}

/** POST /v5/order/create, amend and cancel answer this. */
export interface OrderAck {
  orderId: string;
  orderLinkId: string;
}
