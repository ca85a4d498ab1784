/**
 * Public market endpoints (no auth): time, tickers, kline, orderbook,
 * funding history, open interest, instruments-info, recent trades. Rows come
 * from the fixtures plus the price model, with Bybit's field names and every
 * value a string.
 */
import { decDiv, decFormat, decMul, decSub, toDecimalString } from "../util/decimal.js";
import {
  ILLEGAL_CATEGORY,
  SYMBOL_INVALID,
  intParam,
  msParam,
  paginate,
  paramsError,
  decodeCursor,
  encodeCursor,
} from "./envelope.js";
import { INSTRUMENTS, OPTION_TICKER_EXTRA, type Instrument, findInstrument } from "./fixtures.js";
import { type PriceModel, snap, snapDown, unitHash } from "./prices.js";
import { type Category, isCategory } from "./types.js";

export type Query = Record<string, string>;
export interface MarketContext {
  prices: PriceModel;
  /** Server clock (ms), skew included. */
  now: () => number;
}
type Handler = (q: Query, ctx: MarketContext) => unknown;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Monday 5 Jan 1970 00:00 UTC: Bybit's weekly candles start on Mondays. */
const FIRST_MONDAY = 4 * DAY;

function category(q: Query, allowed: readonly Category[], fallback?: Category): Category {
  const c = q.category ?? fallback;
  if (!isCategory(c) || !allowed.includes(c)) throw ILLEGAL_CATEGORY();
  return c;
}

function instrument(c: Category, symbol: string | undefined): Instrument {
  if (!symbol) throw paramsError("symbol invalid");
  const inst = findInstrument(c, symbol);
  if (!inst) throw SYMBOL_INVALID();
  return inst;
}

function time(_q: Query, ctx: MarketContext): unknown {
  const now = ctx.now();
  return { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` };
}

function tickerRow(inst: Instrument, ctx: MarketContext): Record<string, unknown> {
  const q = ctx.prices.quote(inst);
  const s = inst.stats;
  const depth = snap(Number(inst.lot.minOrderQty) * 37, inst.lot.qtyStep);
  const high = Number(q.last) > Number(s.highPrice24h) ? q.last : s.highPrice24h;
  const low = Number(q.last) < Number(s.lowPrice24h) ? q.last : s.lowPrice24h;
  if (inst.category === "option") {
    return {
      symbol: inst.symbol,
      bid1Price: q.bid,
      bid1Size: "1.5",
      bid1Iv: OPTION_TICKER_EXTRA.bid1Iv,
      ask1Price: q.ask,
      ask1Size: "2.1",
      ask1Iv: OPTION_TICKER_EXTRA.ask1Iv,
      lastPrice: q.last,
      highPrice24h: high,
      lowPrice24h: low,
      markPrice: q.mark,
      indexPrice: q.index,
      markIv: OPTION_TICKER_EXTRA.markIv,
      underlyingPrice: ctx.prices.underlying(),
      openInterest: s.openInterest ?? "0",
      turnover24h: s.turnover24h,
      volume24h: s.volume24h,
      totalVolume: OPTION_TICKER_EXTRA.totalVolume,
      totalTurnover: OPTION_TICKER_EXTRA.totalTurnover,
      delta: OPTION_TICKER_EXTRA.delta,
      gamma: OPTION_TICKER_EXTRA.gamma,
      vega: OPTION_TICKER_EXTRA.vega,
      theta: OPTION_TICKER_EXTRA.theta,
      predictedDeliveryPrice: "0",
      change24h: decDiv(decSub(q.last, s.prevPrice24h), s.prevPrice24h, 4),
    };
  }
  const pcnt = decDiv(decSub(q.last, s.prevPrice24h), s.prevPrice24h, inst.category === "spot" ? 4 : 6);
  const common = {
    symbol: inst.symbol,
    bid1Price: q.bid,
    bid1Size: depth,
    ask1Price: q.ask,
    ask1Size: depth,
    lastPrice: q.last,
    prevPrice24h: s.prevPrice24h,
    price24hPcnt: pcnt,
    highPrice24h: high,
    lowPrice24h: low,
    turnover24h: s.turnover24h,
    volume24h: s.volume24h,
  };
  if (inst.category === "spot") return { ...common, usdIndexPrice: snap(Number(q.index), "0.00000001") };
  const oi = s.openInterest ?? "0";
  const oiValue = inst.category === "inverse" ? decDiv(oi, q.mark, 2) : decFormat(decMul(oi, q.mark), 2, false);
  const nextFunding = Math.floor(ctx.now() / (8 * HOUR)) * 8 * HOUR + 8 * HOUR;
  return {
    ...common,
    indexPrice: q.index,
    markPrice: q.mark,
    prevPrice1h: s.prevPrice1h ?? s.prevPrice24h,
    openInterest: oi,
    openInterestValue: oiValue,
    fundingRate: s.fundingRate ?? "0",
    nextFundingTime: String(nextFunding),
    predictedDeliveryPrice: "",
    basisRate: "",
    deliveryFeeRate: "",
    deliveryTime: "0",
    basis: "",
    fundingIntervalHour: "8",
    fundingCap: "0.005",
  };
}

function tickers(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["spot", "linear", "inverse", "option"]);
  let list = INSTRUMENTS.filter((i) => i.category === c);
  if (q.symbol) list = [instrument(c, q.symbol)];
  else if (c === "option" && !q.baseCoin) throw paramsError("symbol or baseCoin must be passed for option");
  if (q.baseCoin) list = list.filter((i) => i.baseCoin === q.baseCoin);
  return {
    category: c,
    list: list.map((i) => tickerRow(i, ctx)),
  };
}

const INTERVALS: Record<string, number> = {
  "1": MIN,
  "3": 3 * MIN,
  "5": 5 * MIN,
  "15": 15 * MIN,
  "30": 30 * MIN,
  "60": HOUR,
  "120": 2 * HOUR,
  "240": 4 * HOUR,
  "360": 6 * HOUR,
  "720": 12 * HOUR,
  D: DAY,
  W: WEEK,
  M: 0,
};

/** Start of the candle containing t, and the start of the next one. */
function bucket(interval: string, t: number): [number, number] {
  if (interval === "M") {
    const d = new Date(t);
    return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)];
  }
  if (interval === "W") {
    const s = FIRST_MONDAY + Math.floor((t - FIRST_MONDAY) / WEEK) * WEEK;
    return [s, s + WEEK];
  }
  const len = INTERVALS[interval] ?? MIN;
  const s = Math.floor(t / len) * len;
  return [s, s + len];
}

function kline(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["spot", "linear", "inverse"], "linear");
  const inst = instrument(c, q.symbol);
  const interval = q.interval ?? "";
  if (!(interval in INTERVALS)) throw paramsError("interval invalid");
  const limit = intParam(q.limit, "limit", 1, 1000, 200);
  const start = msParam(q.start, "start");
  const now = ctx.now();
  const end = Math.min(msParam(q.end, "end") ?? now, now);
  if (start !== undefined && start > end) return { category: c, symbol: inst.symbol, list: [] };
  const firstStart = start === undefined ? -Infinity : bucket(interval, start)[0];
  const list: string[][] = [];
  const anchor = bucket(interval, now)[0];
  let [s, e] = bucket(interval, end);
  while (list.length < limit && s >= firstStart && s >= 0) {
    list.push(candle(inst, ctx, s, e, now, anchor));
    const prev = bucket(interval, s - 1);
    [s, e] = prev;
  }
  return { category: c, symbol: inst.symbol, list };
}

/** The candle [s, e); the one still open at `now` closes at the mark. */
function candle(inst: Instrument, ctx: MarketContext, s: number, e: number, now: number, anchor: number): string[] {
  const open = ctx.prices.historical(inst, s, anchor);
  const close = e > now ? Number(ctx.prices.mark(inst)) : ctx.prices.historical(inst, e, anchor);
  const r = unitHash(Math.floor(s / 1000));
  const high = Math.max(open, close) * (1 + 0.0015 * r);
  const low = Math.min(open, close) * (1 - 0.0015 * unitHash(Math.floor(s / 1000) + 7));
  const volume = snapDown(Number(inst.lot.minOrderQty) * (200 + 5000 * r), inst.lot.qtyStep);
  const closeText = snap(close, inst.tickSize);
  const turnover = inst.category === "inverse" ? decDiv(volume, closeText, 8) : decMul(volume, closeText);
  return [String(s), snap(open, inst.tickSize), snap(high, inst.tickSize), snap(low, inst.tickSize), closeText, volume, turnover];
}

const BOOK_LIMITS: Record<Category, [number, number]> = {
  spot: [200, 1],
  linear: [500, 25],
  inverse: [500, 25],
  option: [25, 1],
};

function orderbook(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["spot", "linear", "inverse", "option"]);
  const inst = instrument(c, q.symbol);
  const [max, fallback] = BOOK_LIMITS[c];
  const limit = intParam(q.limit, "limit", 1, max, fallback);
  const quote = ctx.prices.quote(inst);
  const tick = inst.tickSize;
  const level = (price: string, i: number, sideSeed: number): [string, string] => [
    price,
    snapDown(Number(inst.lot.minOrderQty) * (1 + Math.floor(unitHash(i * 31 + sideSeed) * 400)), inst.lot.qtyStep),
  ];
  const b: Array<[string, string]> = [];
  const a: Array<[string, string]> = [];
  for (let i = 0; i < limit; i++) {
    const bidPrice = decSub(quote.bid, decMul(tick, String(i)));
    if (Number(bidPrice) > 0) b.push(level(snap(Number(bidPrice), tick), i, 1));
    a.push(level(snap(Number(quote.ask) + Number(tick) * i, tick), i, 2));
  }
  const ts = ctx.now();
  return { s: inst.symbol, b, a, ts, u: Math.floor(ts / 100) % 10_000_000, seq: Math.floor(ts / 10), cts: ts - 3 };
}

function fundingHistory(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["linear", "inverse"]);
  const inst = instrument(c, q.symbol);
  const limit = intParam(q.limit, "limit", 1, 200, 200);
  const start = msParam(q.startTime, "startTime");
  const endParam = msParam(q.endTime, "endTime");
  if (start !== undefined && endParam === undefined) throw paramsError("endTime is required when startTime is passed");
  const end = Math.min(endParam ?? ctx.now(), ctx.now());
  const base = Number(inst.stats.fundingRate ?? "0.0001");
  const list: Array<Record<string, string>> = [];
  for (let t = Math.floor(end / (8 * HOUR)) * 8 * HOUR; list.length < limit && (start === undefined || t >= start) && t > 0; t -= 8 * HOUR) {
    const rate = base * (0.4 + 1.2 * unitHash(t / HOUR));
    list.push({ symbol: inst.symbol, fundingRate: toDecimalString(rate.toFixed(6)), fundingRateTimestamp: String(t) });
  }
  return { category: c, list };
}

const OI_INTERVALS: Record<string, number> = {
  "5min": 5 * MIN,
  "15min": 15 * MIN,
  "30min": 30 * MIN,
  "1h": HOUR,
  "4h": 4 * HOUR,
  "1d": DAY,
};
/** How far back open interest goes when no startTime bounds it. */
const OI_HISTORY_POINTS = 1000;

function openInterest(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["linear", "inverse"]);
  const inst = instrument(c, q.symbol);
  const step = OI_INTERVALS[q.intervalTime ?? ""];
  if (!step) throw paramsError("intervalTime invalid");
  const limit = intParam(q.limit, "limit", 1, 200, 50);
  const start = msParam(q.startTime, "startTime");
  const end = Math.min(msParam(q.endTime, "endTime") ?? ctx.now(), ctx.now());
  const offset = decodeCursor(q.cursor);
  const latest = Math.floor(end / step) * step;
  const earliest = Math.max(start ?? latest - (OI_HISTORY_POINTS - 1) * step, 0);
  const total = latest >= earliest ? Math.floor((latest - earliest) / step) + 1 : 0;
  const base = Number(inst.stats.openInterest ?? "0");
  const list: Array<Record<string, string>> = [];
  for (let i = offset; i < Math.min(offset + limit, total); i++) {
    const t = latest - i * step;
    const oi = base * (0.97 + 0.06 * unitHash(Math.floor(t / MIN)));
    list.push({ openInterest: snapDown(oi, inst.lot.qtyStep), timestamp: String(t) });
  }
  const nextPageCursor = offset + limit < total ? encodeCursor(offset + limit) : "";
  return { category: c, symbol: inst.symbol, list, nextPageCursor };
}

function instrumentRow(inst: Instrument): Record<string, unknown> {
  const priceFilter = { minPrice: inst.minPrice, maxPrice: inst.maxPrice, tickSize: inst.tickSize };
  const lot = inst.lot;
  if (inst.category === "spot") {
    return {
      symbol: inst.symbol,
      baseCoin: inst.baseCoin,
      quoteCoin: inst.quoteCoin,
      ...inst.extra,
      lotSizeFilter: {
        basePrecision: lot.qtyStep,
        quotePrecision: lot.quotePrecision,
        minOrderQty: lot.minOrderQty,
        maxOrderQty: lot.maxOrderQty,
        minOrderAmt: lot.minOrderAmt,
        maxOrderAmt: lot.maxOrderAmt,
      },
      priceFilter: { tickSize: inst.tickSize },
    };
  }
  if (inst.category === "option") {
    return {
      symbol: inst.symbol,
      baseCoin: inst.baseCoin,
      quoteCoin: inst.quoteCoin,
      settleCoin: inst.settleCoin,
      ...inst.extra,
      priceFilter,
      lotSizeFilter: { maxOrderQty: lot.maxOrderQty, minOrderQty: lot.minOrderQty, qtyStep: lot.qtyStep },
    };
  }
  return {
    symbol: inst.symbol,
    baseCoin: inst.baseCoin,
    quoteCoin: inst.quoteCoin,
    settleCoin: inst.settleCoin,
    ...inst.extra,
    leverageFilter: { minLeverage: "1", maxLeverage: inst.maxLeverage, leverageStep: "0.01" },
    priceFilter,
    lotSizeFilter: {
      maxOrderQty: lot.maxOrderQty,
      minOrderQty: lot.minOrderQty,
      qtyStep: lot.qtyStep,
      postOnlyMaxOrderQty: lot.maxOrderQty,
      maxMktOrderQty: lot.maxMktOrderQty,
      minNotionalValue: lot.minNotionalValue,
    },
  };
}

function instrumentsInfo(q: Query): unknown {
  const c = category(q, ["spot", "linear", "inverse", "option"]);
  let list = INSTRUMENTS.filter((i) => i.category === c);
  if (q.symbol) list = [instrument(c, q.symbol)];
  if (q.baseCoin) list = list.filter((i) => i.baseCoin === q.baseCoin);
  if (q.status && q.status !== "Trading") list = [];
  // Spot does not paginate on Bybit: limit and cursor are ignored there.
  if (c === "spot") return { category: c, list: list.map(instrumentRow), nextPageCursor: "" };
  const limit = intParam(q.limit, "limit", 1, 1000, 500);
  const { page, nextPageCursor } = paginate(list, limit, q.cursor);
  return { category: c, list: page.map(instrumentRow), nextPageCursor };
}

function recentTrades(q: Query, ctx: MarketContext): unknown {
  const c = category(q, ["spot", "linear", "inverse", "option"]);
  const inst = instrument(c, q.symbol);
  const limit = c === "spot" ? intParam(q.limit, "limit", 1, 60, 60) : intParam(q.limit, "limit", 1, 1000, 500);
  const now = ctx.now();
  const mark = Number(ctx.prices.mark(inst));
  const tick = Number(inst.tickSize);
  const list: Array<Record<string, unknown>> = [];
  for (let i = 0; i < limit; i++) {
    const t = now - i * 1700 - Math.floor(unitHash(i) * 900);
    const seed = Math.floor(t / 100);
    const side = unitHash(seed) < 0.5 ? "Buy" : "Sell";
    const price = snap(mark + (side === "Buy" ? tick : -tick) * Math.floor(unitHash(seed + 1) * 3), inst.tickSize);
    const size = snapDown(Number(inst.lot.minOrderQty) * (1 + Math.floor(unitHash(seed + 2) * 60)), inst.lot.qtyStep);
    const row: Record<string, unknown> = {
      execId: execId(seed),
      symbol: inst.symbol,
      price,
      size,
      side,
      time: String(t),
      isBlockTrade: false,
      isRPITrade: false,
    };
    if (c === "option") Object.assign(row, { mP: ctx.prices.mark(inst), iP: ctx.prices.underlying(), mIv: OPTION_TICKER_EXTRA.markIv, iv: OPTION_TICKER_EXTRA.markIv });
    list.push(row);
  }
  return { category: c, list };
}

function execId(seed: number): string {
  const hex = (n: number) => Math.floor(unitHash(seed + n) * 0xffffffff).toString(16).padStart(8, "0");
  const a = hex(11);
  const b = hex(12);
  const c = hex(13);
  const d = hex(14);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** GET routes under /v5/market. */
export const MARKET_ROUTES: Readonly<Record<string, Handler>> = {
  "/v5/market/time": time,
  "/v5/market/tickers": tickers,
  "/v5/market/kline": kline,
  "/v5/market/orderbook": orderbook,
  "/v5/market/funding/history": fundingHistory,
  "/v5/market/open-interest": openInterest,
  "/v5/market/instruments-info": (q) => instrumentsInfo(q),
  "/v5/market/recent-trade": recentTrades,
};
