/**
 * Shapes shared by the simulated exchange's modules and its public API.
 * Everything money-like is an exact decimal string, as Bybit sends it.
 */

export type Category = "spot" | "linear" | "inverse" | "option";
export const CATEGORIES: readonly Category[] = ["spot", "linear", "inverse", "option"];

export function isCategory(value: unknown): value is Category {
  return typeof value === "string" && (CATEGORIES as readonly string[]).includes(value);
}

export interface SimOptions {
  /** 0 = ephemeral (the default); the CLI defaults to 8002. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "sim-demo-key" / "sim-demo-secret". */
  apiKey?: string;
  apiSecret?: string;
  /** More accepted keys; each one is its own UID for rate limiting. */
  extraKeys?: Array<{ key: string; secret: string; uid?: string }>;
  /** Persist orders, positions, wallet and leverage as JSON across restarts. */
  stateFile?: string;
  /** Default true: the mark price moves slowly and deterministically with time; false = fixed. */
  markDrift?: boolean;
  /** Default true: per-UID per-endpoint limits per second, answered with 10006. */
  rateLimits?: boolean;
  /** The server clock in ms (before any clock-skew fault). Default Date.now. */
  now?: () => number;
}

export type FaultName =
  | "http5xx"
  | "ret10016"
  | "ret10006"
  | "drop_before_process"
  | "drop_after_process"
  | "malformed_json"
  | "hang";

export const FAULT_NAMES: readonly FaultName[] = [
  "http5xx",
  "ret10016",
  "ret10006",
  "drop_before_process",
  "drop_after_process",
  "malformed_json",
  "hang",
];

export interface NextFault {
  fault: FaultName;
  /** Only requests whose path starts with this (default: any /v5 request). */
  path?: string;
  /** How many matching requests it hits; default 1. */
  count?: number;
}

export interface FaultConfig {
  /** Added before every /v5 request is processed and answered. */
  latencyMs?: number;
  /** Server clock offset: recv-window checks, /v5/market/time and envelope `time`. */
  clockSkewMs?: number;
  /** One-shot faults, consumed in order by matching requests. */
  next?: NextFault[];
}

/** One /v5 request as the simulator saw it (admin routes are never logged). */
export interface SimRequestLog {
  method: string;
  path: string;
  /** Parsed query string. */
  query: Record<string, string>;
  /** Parsed JSON body of a POST (the raw text when it is not JSON); undefined for GET. */
  body?: unknown;
  apiKey?: string;
  /** retCode of the envelope sent, when one was sent. */
  retCode?: number;
  /** 0 when no answer was sent (dropped or hung). */
  httpStatus: number;
  /** The fault that hit this request, if any. */
  fault?: FaultName;
  /** Server wall clock (ms, without skew) when the request arrived. */
  ts: number;
}

/** A Bybit v5 order row, plus its category. */
export interface SimOrder {
  category: Category;
  orderId: string;
  orderLinkId: string;
  symbol: string;
  price: string;
  qty: string;
  side: "Buy" | "Sell";
  isLeverage: string;
  positionIdx: number;
  orderStatus: "New" | "PartiallyFilled" | "Filled" | "Cancelled" | "Rejected";
  createType: string;
  cancelType: string;
  rejectReason: string;
  avgPrice: string;
  leavesQty: string;
  leavesValue: string;
  cumExecQty: string;
  cumExecValue: string;
  cumExecFee: string;
  timeInForce: string;
  orderType: "Market" | "Limit";
  stopOrderType: string;
  orderIv: string;
  marketUnit: string;
  triggerPrice: string;
  takeProfit: string;
  stopLoss: string;
  tpTriggerBy: string;
  slTriggerBy: string;
  triggerDirection: number;
  triggerBy: string;
  lastPriceOnCreated: string;
  reduceOnly: boolean;
  closeOnTrigger: boolean;
  smpType: string;
  smpGroup: number;
  smpOrderId: string;
  tpslMode: string;
  tpLimitPrice: string;
  slLimitPrice: string;
  placeType: string;
  createdTime: string;
  updatedTime: string;
}

/** A position as stored (one-way mode: one per category and symbol). */
export interface StoredPosition {
  category: Category;
  symbol: string;
  side: "Buy" | "Sell";
  /** Unsigned; base coin (linear, option) or USD contracts (inverse). */
  size: string;
  avgPrice: string;
  takeProfit: string;
  stopLoss: string;
  trailingStop: string;
  tpslMode: string;
  cumRealisedPnl: string;
  createdTime: string;
  updatedTime: string;
}

/** Everything the exchange keeps; this is what the state file holds. */
export interface ExchangeState {
  orders: SimOrder[];
  positions: StoredPosition[];
  /** coin -> wallet balance. */
  wallet: Record<string, string>;
  /** "category:SYMBOL" -> leverage. */
  leverage: Record<string, string>;
  /** coin -> realised PnL booked so far. */
  realised: Record<string, string>;
}

/** A Bybit v5 position row with its category (the fields tests read most, plus the rest). */
export interface SimPositionRow {
  category: Category;
  symbol: string;
  side: "Buy" | "Sell" | "";
  size: string;
  avgPrice: string;
  positionValue: string;
  leverage: string;
  markPrice: string;
  unrealisedPnl: string;
  takeProfit: string;
  stopLoss: string;
  trailingStop: string;
  positionIdx: number;
  [field: string]: unknown;
}

/** A deep copy of the exchange's books, for tests and GET /__sim/state. */
export interface SimSnapshot {
  orders: SimOrder[];
  /** Open positions rendered as Bybit position rows (with category). */
  positions: SimPositionRow[];
  /** coin -> wallet balance. */
  wallet: Record<string, string>;
  /** "category:SYMBOL" -> leverage (only symbols whose leverage was set or used). */
  leverage: Record<string, string>;
}

export interface SimFaults {
  /** Merge: latency/skew replace when given; `next` entries are appended. */
  set(config: FaultConfig): void;
  /** Remove every fault (latency, skew, queued one-shots). */
  clear(): void;
  /** The current configuration (a copy). */
  get(): FaultConfig;
}

export interface Sim {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  apiKey: string;
  apiSecret: string;
  faults: SimFaults;
  /** Pin the mark price (bid/ask/last follow it); drift stops for that symbol. */
  setMarkPrice(category: Category, symbol: string, price: string): void;
  setWalletBalance(coin: string, amount: string): void;
  state(): SimSnapshot;
  requests(): SimRequestLog[];
  clearRequests(): void;
  close(): Promise<void>;
}
