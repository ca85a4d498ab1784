/**
 * The seven public market-data tools. No keys needed; never gated.
 */
import { z } from "zod";
import { category, cursor, defineTool, derivCategory, limit, readCall, READ_ONLY, symbol, timestampMs } from "./common.js";
import { pagedList, readOut, str } from "./output.js";

/** A kline or order-book level: Bybit sends each as an array of decimal strings. */
const levels = z.array(z.array(str));

/** Latest price, 24h stats, best bid/ask, mark/index (derivatives) for one symbol or the category. */
export const getTickers = defineTool({
  name: "bybit_get_tickers",
  title: "Tickers",
  description: "Latest price, best bid/ask, 24h volume/turnover and mark/index prices for a category, or one symbol.",
  input: z.strictObject({ category, symbol: symbol.optional() }),
  output: readOut(pagedList(z.looseObject({ symbol: str, lastPrice: str }))),
  annotations: READ_ONLY,
  handler: (a, deps) => readCall(deps, "/v5/market/tickers", { category: a.category, symbol: a.symbol?.toUpperCase() }),
});

/** OHLCV candles, newest first. */
export const getKline = defineTool({
  name: "bybit_get_kline",
  title: "Candles",
  description: "OHLCV candles, newest first. interval: 1 3 5 15 30 60 120 240 360 720 (minutes), D, W, M.",
  input: z.strictObject({
    category: z.enum(["spot", "linear", "inverse"]).optional(),
    symbol,
    interval: z.enum(["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"]),
    start_ms: timestampMs.optional(),
    end_ms: timestampMs.optional(),
    limit: limit(1000).optional(),
  }),
  output: readOut(z.looseObject({ category: str.optional(), symbol: str, list: levels })),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/kline", {
      category: a.category,
      symbol: a.symbol.toUpperCase(),
      interval: a.interval,
      start: a.start_ms,
      end: a.end_ms,
      limit: a.limit,
    }),
});

/** Order book depth. */
export const getOrderbook = defineTool({
  name: "bybit_get_orderbook",
  title: "Order book",
  description: "Order book bids (b) and asks (a) as [price, size], best first.",
  input: z.strictObject({ category, symbol, limit: limit(1000).optional() }),
  output: readOut(z.looseObject({ s: str, b: levels, a: levels, ts: z.number() })),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/orderbook", { category: a.category, symbol: a.symbol.toUpperCase(), limit: a.limit }),
});

/** Funding rate history of a perpetual. */
export const getFundingHistory = defineTool({
  name: "bybit_get_funding_history",
  title: "Funding history",
  description: "Funding rate history of a linear or inverse perpetual, newest first.",
  input: z.strictObject({
    category: derivCategory,
    symbol,
    start_ms: timestampMs.optional(),
    end_ms: timestampMs.optional(),
    limit: limit(200).optional(),
  }),
  output: readOut(pagedList(z.looseObject({ symbol: str, fundingRate: str }))),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/funding/history", {
      category: a.category,
      symbol: a.symbol.toUpperCase(),
      startTime: a.start_ms,
      endTime: a.end_ms,
      limit: a.limit,
    }),
});

/** Open interest over time. */
export const getOpenInterest = defineTool({
  name: "bybit_get_open_interest",
  title: "Open interest",
  description: "Open interest of a linear or inverse contract over time; pass cursor for the next page.",
  input: z.strictObject({
    category: derivCategory,
    symbol,
    interval_time: z.enum(["5min", "15min", "30min", "1h", "4h", "1d"]),
    start_ms: timestampMs.optional(),
    end_ms: timestampMs.optional(),
    limit: limit(200).optional(),
    cursor: cursor.optional(),
  }),
  output: readOut(pagedList(z.looseObject({ openInterest: str, timestamp: str }))),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/open-interest", {
      category: a.category,
      symbol: a.symbol.toUpperCase(),
      intervalTime: a.interval_time,
      startTime: a.start_ms,
      endTime: a.end_ms,
      limit: a.limit,
      cursor: a.cursor,
    }),
});

/** Instrument specs: lot size, tick size, leverage filters. */
export const getInstrumentsInfo = defineTool({
  name: "bybit_get_instruments_info",
  title: "Instruments",
  description: "Instrument specs: status, qty step, min qty/notional, tick size, leverage range. Paged with cursor.",
  input: z.strictObject({ category, symbol: symbol.optional(), limit: limit(1000).optional(), cursor: cursor.optional() }),
  output: readOut(pagedList(z.looseObject({ symbol: str, status: str, lotSizeFilter: z.looseObject({}) }))),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/instruments-info", {
      category: a.category,
      symbol: a.symbol?.toUpperCase(),
      limit: a.limit,
      cursor: a.cursor,
    }),
});

/** Latest public trades. */
export const getRecentTrades = defineTool({
  name: "bybit_get_recent_trades",
  title: "Recent trades",
  description: "Latest public trades of a symbol.",
  input: z.strictObject({ category, symbol, limit: limit(1000).optional() }),
  output: readOut(pagedList(z.looseObject({ symbol: str, price: str, side: str }))),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/market/recent-trade", { category: a.category, symbol: a.symbol.toUpperCase(), limit: a.limit }),
});

export const marketTools = [
  getTickers,
  getKline,
  getOrderbook,
  getFundingHistory,
  getOpenInterest,
  getInstrumentsInfo,
  getRecentTrades,
];
