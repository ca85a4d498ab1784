/**
 * The gate's contract with the rest of the server. The write path gathers
 * RawFacts by I/O (mandate file, HALT files, counter, live quote, positions,
 * open orders, clock), then calls the pure gate with a GateIntent; the gate
 * computes facts in TypeScript and lets the rules only compare.
 *
 * All prices, quantities and notionals are exact decimal strings.
 */

export type Category = "spot" | "linear" | "inverse" | "option";
export type Side = "Buy" | "Sell";
export type GateDecisionValue = "allow" | "deny" | "pause_for_reauth";

/** The six gated write tools, plus check_order which is evaluated as place_order. */
export type GateTool =
  | "place_order"
  | "amend_order"
  | "cancel_order"
  | "cancel_all_orders"
  | "set_leverage"
  | "set_trading_stop";

/** A tool call, normalized: enums canonical-cased, decimals exact strings. */
export interface GateIntent {
  tool: GateTool;
  category: Category;
  /** As given by the agent; facts upper-case it. Empty/missing is an intent breach. */
  symbol: string;
  /** For amend: the side of the order being amended (from existingOrder). */
  side?: Side;
  orderType?: "Market" | "Limit";
  qty?: string;
  price?: string;
  marketUnit?: "baseCoin" | "quoteCoin";
  reduceOnly?: boolean;
  /** Agent-declared USD notional; the gate uses the larger of this and its own pricing. */
  notionalUsd?: string;
  /** set_leverage only. */
  leverage?: string;
  /** Hedge mode leg (1 long, 2 short); 0 or absent = one-way mode. */
  positionIdx?: number;
  /**
   * amend_order: the resting order being amended; cancel_order: the resting
   * order being cancelled. As found among open orders by id: null = read and
   * not found, undefined = not read (a cancel while halted then denies).
   */
  existingOrder?: OrderRow | null;
}

/** A Bybit v5 ticker row, as fetched for the order's symbol. */
export interface Quote {
  category: Category;
  symbol: string;
  lastPrice?: string;
  markPrice?: string;
  indexPrice?: string;
  underlyingPrice?: string;
  bid1Price?: string;
  ask1Price?: string;
  turnover24h?: string;
  volume24h?: string;
  /** Local clock (ms) when the ticker response arrived. */
  fetchedAtMs: number;
}

/** A Bybit v5 position row (the fields the gate reads); every value a string as Bybit sends it. */
export interface PositionRow {
  category?: Category;
  symbol: string;
  side: "Buy" | "Sell" | "";
  size: string;
  positionValue?: string;
  markPrice?: string;
  avgPrice?: string;
  leverage?: string;
  positionIdx?: number;
}

/** A Bybit v5 open-order row (the fields the gate reads). */
export interface OrderRow {
  category?: Category;
  orderId: string;
  orderLinkId?: string;
  symbol: string;
  side: Side;
  orderType?: string;
  price?: string;
  qty: string;
  leavesQty?: string;
  leavesValue?: string;
  reduceOnly?: boolean;
  orderStatus?: string;
  marketUnit?: string;
  positionIdx?: number;
  /** "" (or "UNKNOWN") for a plain order; TakeProfit, StopLoss, TrailingStop, Stop, tpslOrder, ... for a conditional one. */
  stopOrderType?: string;
  /** A close-on-trigger order only ever reduces the position. */
  closeOnTrigger?: boolean;
  /** > 0 for a conditional (trigger) order; "" or "0" otherwise. */
  triggerPrice?: string;
}

/** Kill-switch state; `error` set means the HALT location could not be read (treated as halted). */
export interface HaltState {
  global: boolean;
  broker: boolean;
  error?: string;
  /** Attribution from the HALT file body, when readable. */
  detail?: { tripped_at?: string; by?: string; reason?: string; scope?: "global" | "broker" };
}

/**
 * Everything the write path read before asking the gate. A null value with
 * its *Error set means the read failed: the gate fails closed on it.
 */
export interface RawFacts {
  nowMs: number;
  /** The result of loading mandate.json (see gate/mandate.ts). */
  mandate: MandateLoad;
  halt: HaltState;
  quote: Quote | null;
  quoteError?: string;
  positions: PositionRow[] | null;
  positionsError?: string;
  openOrders: OrderRow[] | null;
  openOrdersError?: string;
  /** Trades already counted today (UTC); null when the counter is corrupt/unreadable. */
  tradesToday: number | null;
  counterError?: string;
  /**
   * The UTC date ("YYYY-MM-DD") trade_counter.json was written for, when the
   * caller read it raw. If it is not today's UTC date the gate counts 0 for
   * today (the day rolled over at UTC midnight). Omit when tradesToday is
   * already today's count.
   */
  counterDate?: string;
}

/** Outcome of loading mandate.json: the validated mandate, or why there is none. */
export type MandateLoad =
  | { ok: true; mandate: Mandate; file?: string }
  | { ok: false; reason: string; problems: { path: string; message: string }[]; file?: string };

/** Vibe-Trading mandate, schema_version 1 (see schemas/mandate.schema.json). */
export interface Mandate {
  schema_version: 1;
  mandate_id?: string;
  hard_caps: {
    account_funding_usd: number;
    max_order_notional_usd: number;
    max_total_exposure_usd: number;
    max_leverage: number;
    allowed_instruments: string[];
    max_trades_per_day: number;
  };
  universe: {
    asset_classes: string[];
    min_market_cap_usd: number | null;
    min_avg_daily_volume_usd: number | null;
    exclude_symbols: string[];
  };
  consent: {
    created_at: string;
    consent_token_sha256: string;
    broker: string;
    account_ref: string;
    expires_at: string;
  };
  flatten_on_halt?: boolean;
  /** Vibe-Trading #1435 options ceilings; null/absent = options disabled. Not enforceable here: option orders are denied. */
  option_limits?: {
    max_premium_per_order_usd: number;
    max_loss_per_order_usd: number;
    max_premium_per_day_usd: number;
    max_loss_per_day_usd: number;
    allow_naked_short?: boolean;
  } | null;
  [extra: string]: unknown;
}

export interface Breach {
  limit: string;
  kind: string;
  limit_value: number | string | null;
  attempted_value: number | string | null;
  overage: number | string | null;
  detail: string;
}

export interface ProposedAction {
  symbol: string;
  side: string;
  notional_usd: number | null;
  quantity: string | null;
  instrument_type: string;
}

/** One condition of one rule, as evaluated. */
export interface ConditionExplanation {
  /** Where in the rule's tree, e.g. "all[0]" or "any[1]". */
  where?: string;
  fact: string;
  path?: string;
  operator: string;
  /** The threshold, resolved when the rule compares against another fact. */
  value: unknown;
  /** "mandate.hard_caps.max_leverage" when the threshold came from a fact. */
  valueRef?: string;
  factValue: unknown;
  /** null when the engine did not evaluate the condition. */
  result: boolean | null;
}

export interface RuleExplanation {
  id: string;
  checked_limit: string;
  status: "passed" | "failed" | "not_evaluated" | "shadow_failed";
  outcome: GateDecisionValue;
  enforcement: "enforce" | "shadow";
  conditions: ConditionExplanation[];
  message?: string;
}

/** The gate's answer. `facts` are the computed facts it used (for the ledger and replay). */
export interface Decision {
  decision: GateDecisionValue;
  allowed: boolean;
  requires_reauthorization: boolean;
  /** One sentence a person understands. */
  reason: string;
  /** Rule id (or pipeline step) that decided a refusal; null on allow. */
  decided_by: string | null;
  checked_limits: string[];
  breach?: Breach;
  proposed_action: ProposedAction;
  /** e.g. "buy $100.00 BTCUSDT (linear)" */
  intent_normalized: string;
  rules_revision: string;
  explanation: RuleExplanation[];
  facts: Record<string, unknown>;
}
