/**
 * A well-formed, in-mandate order and its raw facts: the lint uses it to
 * check that every fact path a rule names exists, the smoke evaluation runs
 * it through every tool, and the benchmark times it.
 */
import type { GateIntent, GateTool, Mandate, RawFacts } from "./types.js";

export const SAMPLE_NOW_MS = Date.UTC(2025, 5, 1, 12, 0, 0);

export function sampleMandate(): Mandate {
  return {
    schema_version: 1,
    mandate_id: "mandate_00000000000000000000000000000000",
    hard_caps: {
      account_funding_usd: 10000,
      max_order_notional_usd: 1000,
      max_total_exposure_usd: 5000,
      max_leverage: 2,
      allowed_instruments: ["crypto"],
      max_trades_per_day: 20,
    },
    universe: {
      asset_classes: ["crypto"],
      min_market_cap_usd: null,
      min_avg_daily_volume_usd: 1000000,
      exclude_symbols: ["LUNAUSDT"],
    },
    consent: {
      created_at: "2025-05-20T00:00:00Z",
      consent_token_sha256: "a".repeat(64),
      broker: "bybit",
      account_ref: "",
      expires_at: "2025-06-19T00:00:00Z",
    },
    flatten_on_halt: false,
    option_limits: null,
  };
}

export function sampleRaw(): RawFacts {
  return {
    nowMs: SAMPLE_NOW_MS,
    mandate: { ok: true, mandate: sampleMandate() },
    halt: { global: false, broker: false },
    quote: {
      category: "linear",
      symbol: "BTCUSDT",
      markPrice: "60000",
      lastPrice: "60010",
      indexPrice: "60005",
      bid1Price: "59999.5",
      ask1Price: "60000.5",
      turnover24h: "2500000000",
      volume24h: "41000",
      fetchedAtMs: SAMPLE_NOW_MS - 200,
    },
    positions: [{ category: "linear", symbol: "ETHUSDT", side: "Buy", size: "0.5", positionValue: "1500", markPrice: "3000" }],
    openOrders: [{ category: "linear", orderId: "o-1", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", price: "59000", qty: "0.001", leavesQty: "0.001", orderStatus: "New" }],
    tradesToday: 3,
    counterDate: "2025-06-01",
  };
}

/** A sample call for each tool; orders are limit buys of BTCUSDT within every cap. */
export function sampleIntent(tool: GateTool = "place_order"): GateIntent {
  const base = { tool, category: "linear" as const, symbol: "BTCUSDT" };
  switch (tool) {
    case "place_order":
      return { ...base, side: "Buy", orderType: "Limit", qty: "0.005", price: "60100" };
    case "amend_order":
      return {
        ...base,
        qty: "0.002",
        existingOrder: { category: "linear", orderId: "o-1", symbol: "BTCUSDT", side: "Buy", orderType: "Limit", price: "59000", qty: "0.001", leavesQty: "0.001", orderStatus: "New" },
      };
    case "set_leverage":
      return { ...base, leverage: "2" };
    default:
      return base;
  }
}

export const ALL_TOOLS: readonly GateTool[] = ["place_order", "amend_order", "cancel_order", "cancel_all_orders", "set_leverage", "set_trading_stop"];
