/**
 * An example mandate in Vibe-Trading's v1 format, used by the demo and the
 * tests: $10,000 funding, $1,000 per order, $5,000 gross exposure, cash only
 * (leverage 1.0), crypto only, 20 trades a day, valid for 30 days from now.
 */
import { createHash } from "node:crypto";

export interface MandateOverrides {
  hard_caps?: Record<string, unknown>;
  universe?: Record<string, unknown>;
  consent?: Record<string, unknown>;
  flatten_on_halt?: boolean;
}

export function exampleMandate(o: MandateOverrides = {}, nowMs = Date.now()): Record<string, unknown> {
  return {
    schema_version: 1,
    mandate_id: "m_example",
    hard_caps: {
      account_funding_usd: 10000,
      max_order_notional_usd: 1000,
      max_total_exposure_usd: 5000,
      max_leverage: 1,
      allowed_instruments: ["crypto"],
      max_trades_per_day: 20,
      ...o.hard_caps,
    },
    universe: {
      asset_classes: ["crypto"],
      min_market_cap_usd: null,
      min_avg_daily_volume_usd: null,
      exclude_symbols: [],
      ...o.universe,
    },
    consent: {
      created_at: new Date(nowMs - 86_400_000).toISOString(),
      consent_token_sha256: createHash("sha256").update(`consent-${nowMs}`).digest("hex"),
      broker: "bybit",
      account_ref: "",
      expires_at: new Date(nowMs + 30 * 86_400_000).toISOString(),
      ...o.consent,
    },
    flatten_on_halt: o.flatten_on_halt ?? false,
  };
}
