/**
 * Property: for random mandates, quotes, positions, open orders and orders,
 * the gate never allows when any cap is exceeded and never refuses when all
 * hold. The oracle below is written independently of src/gate: integer
 * arithmetic in units of 1e-4, straight from the mandate semantics.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide } from "../../src/gate/index.js";
import { genCase, toInputs, type Case } from "./gen.js";
import { loadRuleSet } from "../../src/state/rules-files.js";

const ruleSet = loadRuleSet();
const S = 10_000n; // all generated decimals have at most 4 fraction digits

const big = (d: string): bigint => {
  const [i, f = ""] = d.split(".");
  return BigInt(i!) * S + BigInt((f + "0000").slice(0, 4));
};
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const abs = (a: bigint) => (a < 0n ? -a : a);

/** Every check of the mandate, by hand. true = the call must be allowed. */
function oracle(c: Case): boolean {
  const m = c.mandate;
  if (c.nowMs >= Date.parse(m.consent.expires_at)) return false;
  if (c.halted) return false;
  const o = c.order;
  if (m.universe.exclude_symbols.map((s) => s.toUpperCase()).includes(o.symbol.toUpperCase())) return false;
  const instrument = o.category === "option" ? "option" : "crypto";
  if (!m.hard_caps.allowed_instruments.includes(instrument)) return false;
  if (instrument === "option") return false; // option_limits cannot be enforced
  if (!m.universe.asset_classes.includes("crypto")) return false;
  if (c.quoteAgeMs > 10_000) return false;
  const q = c.quote;
  const ref = big(o.category === "spot" ? (o.side === "Buy" ? q.ask : q.bid) : q.mark);
  // price band, aggressive side only: a buy at most 5% above ref, a sell at most 5% below it
  if (o.orderType === "Limit") {
    const through = o.side === "Buy" ? big(o.price!) - ref : ref - big(o.price!);
    if (through * 100n > 5n * ref) return false;
  }
  // notional, in 1e-4 USD
  const qty = big(o.qty);
  const priceUsed = o.orderType === "Limit" ? max(big(o.price!), ref) : ref;
  let notional: bigint;
  if (o.category === "inverse") notional = qty;
  else if (o.category === "spot" && o.orderType === "Market" && o.side === "Buy") notional = qty;
  else notional = (qty * priceUsed) / S;
  if ((qty * priceUsed) % S !== 0n && !(o.category === "inverse" || (o.category === "spot" && o.orderType === "Market" && o.side === "Buy"))) notional += 1n; // round up: never understate
  if (o.notionalUsd !== undefined) notional = max(notional, big(o.notionalUsd));
  if (notional > BigInt(m.hard_caps.max_order_notional_usd) * S) return false;
  // gross exposure: signed positions per instrument + this order, resting orders at worst case
  const book = new Map<string, { v: bigint; buy: bigint; sell: bigint }>();
  const at = (k: string) => book.get(k) ?? book.set(k, { v: 0n, buy: 0n, sell: 0n }).get(k)!;
  const own = `${o.category}:${o.symbol}`;
  for (const p of c.positions) {
    // A position is worth the larger of its reported value (entry price) and its size at the current price.
    const k = `linear:${p.symbol}`;
    const value = k === own ? max(big(p.positionValue!), (big(p.size) * ref) / S) : big(p.positionValue!);
    at(k).v += (p.side === "Buy" ? 1n : -1n) * value;
  }
  for (const r of c.openOrders) {
    if (r.reduceOnly) continue;
    const k = `linear:${r.symbol}`;
    const px = k === own ? max(big(r.price!), ref) : big(r.price!);
    const value = (big(r.leavesQty!) * px) / S;
    if (r.side === "Buy") at(k).buy += value;
    else at(k).sell += value;
  }
  at(own).v += o.side === "Buy" ? notional : -notional;
  let gross = 0n;
  for (const s of book.values()) gross += max(abs(s.v + s.buy), abs(s.v - s.sell));
  if (gross > BigInt(m.hard_caps.max_total_exposure_usd) * S) return false;
  // leverage = gross / funding <= max_leverage (max_leverage generated in halves)
  if (gross * 2n > BigInt(m.hard_caps.max_leverage * 2) * BigInt(m.hard_caps.account_funding_usd) * S) return false;
  if (c.tradesToday + 1 > m.hard_caps.max_trades_per_day) return false;
  if (o.side === "Buy" && gross > BigInt(m.hard_caps.account_funding_usd) * S) return false;
  if (m.universe.min_market_cap_usd !== null) return false;
  // 24h USD volume: turnover24h, or volume24h (USD contracts) for inverse; the generator sets both alike.
  if (m.universe.min_avg_daily_volume_usd !== null && big(q.turnover) < BigInt(m.universe.min_avg_daily_volume_usd) * S) return false;
  return true;
}

describe("the gate against an independent oracle", () => {
  it("never allows a breach and never refuses an order within every cap", async () => {
    let allowed = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(genCase(), async (c) => {
        const { intent, raw } = toInputs(c);
        const d = await decide(ruleSet, intent, raw);
        const want = oracle(c);
        if (want) allowed++;
        else refused++;
        expect(d.allowed, `${d.decision} by ${d.decided_by}: ${d.reason}`).toBe(want);
        expect(d.decision === "allow").toBe(want);
      }),
      { numRuns: Number(process.env.GATE_PROPERTY_RUNS ?? 600) },
    );
    if (process.env.GATE_PROPERTY_RUNS) console.log({ allowed, refused });
    // The generator must exercise both sides, or the property proves little.
    expect(allowed).toBeGreaterThan(60);
    expect(refused).toBeGreaterThan(60);
  });
});
