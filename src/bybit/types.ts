/**
 * Bybit v5 wire types, split as Bybit's docs are. Decimals stay strings, as
 * Bybit sends them, on the wire and in the ledger.
 */
import type { Quote } from "../gate/types.js";
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
export type TickerRow = Omit<Quote, "category" | "fetchedAtMs">;

