/**
 * Which position and order scopes a gated call reads. Reading every scope
 * (linear USDT, linear USDC, inverse, option, plus spot orders) cost 10
 * signed reads per order; most accounts use one or two of them. The plan
 * reads fewer and still fails closed: a scope is skipped only when the
 * wallet read in the same gather rules it out, and one the wallet cannot
 * rule out is read before the gate decides (a second round trip, only when
 * the account's footprint has grown).
 *
 * A scope is always read when:
 * - this is the session's first gather, or the last full read is older than
 *   `fullEveryMs` (a cheap backstop for what the wallet cannot show);
 * - it had rows when last read (until a read shows it empty), or a call in
 *   the batch trades in it (until a later read without such a call shows it
 *   empty: the order may have filled since);
 * - the wallet shows activity in a coin that settles it: a non-zero (or
 *   blank, as in portfolio margin) totalPositionIM, totalOrderIM or
 *   unrealisedPnl; or equity that is not walletBalance + unrealisedPnl
 *   (option value). Activity is per settle coin whatever the collateral, so
 *   a USDC perpetual backed by USDT under UTA cross margin still shows on
 *   the USDC row. USDT activity that no read USDT scope explains (no linear
 *   USDT or spot rows) also reads options, which can settle in USDT;
 * - the wallet itself could not be read or parsed (then everything is).
 * Spot orders are always read: a conditional spot order locks nothing, so
 * the wallet cannot rule it out.
 */
import type { Category, GateIntent } from "../gate/types.js";
import { decAdd, decCmp, isDecimal } from "../util/decimal.js";

export interface Scope {
  category: Category;
  settleCoin?: string;
}

/** Where derivative positions and open orders can sit. */
export const DERIVATIVE_SCOPES: readonly Scope[] = [
  { category: "linear", settleCoin: "USDT" },
  { category: "linear", settleCoin: "USDC" },
  { category: "inverse" },
  { category: "option" },
];
export const SPOT_SCOPE: Scope = { category: "spot" };

export const scopeKey = (s: Scope): string => (s.settleCoin ? `${s.category}:${s.settleCoin}` : s.category);
const BY_KEY = new Map(DERIVATIVE_SCOPES.map((s) => [scopeKey(s), s]));

export interface WalletCoin {
  coin: string;
  walletBalance?: string;
  usdValue?: string;
  equity?: string;
  totalPositionIM?: string;
  totalOrderIM?: string;
  unrealisedPnl?: string;
}

export interface WalletResult {
  list?: { coin?: WalletCoin[] }[];
}

/** The derivative scope a call trades in; null when it cannot be told (then every scope is read). */
export function intentScope(intent: Pick<GateIntent, "category" | "symbol">): string | null | "spot" {
  const symbol = intent.symbol.toUpperCase();
  switch (intent.category) {
    case "spot":
      return "spot";
    case "inverse":
      return "inverse";
    case "option":
      return "option";
    case "linear":
      if (symbol.endsWith("USDT")) return "linear:USDT";
      // USDC perpetuals (BTCPERP) and USDC futures (BTC-26DEC25) settle in USDC.
      if (symbol.endsWith("USDC") || symbol.endsWith("PERP") || symbol.includes("-")) return "linear:USDC";
      return null;
  }
}

const zero = (v: unknown): boolean => typeof v === "string" && isDecimal(v) && decCmp(v, 0) === 0;

/** A coin row with positions, orders or option value settled in it; unparseable counts as active. */
function active(c: WalletCoin): boolean {
  if (!zero(c.totalPositionIM) || !zero(c.totalOrderIM) || !zero(c.unrealisedPnl)) return true;
  if (!isDecimal(c.equity ?? "") || !isDecimal(c.walletBalance ?? "")) return true;
  return decCmp(c.equity as string, decAdd(c.walletBalance as string, c.unrealisedPnl as string)) !== 0;
}

/**
 * The derivative scopes the wallet cannot rule out, given which scopes
 * returned rows this gather. `null`: the wallet gives no basis (read all).
 */
export function walletSuspects(wallet: WalletResult | null, withRows: ReadonlySet<string>): Set<string> | null {
  if (!wallet || !Array.isArray(wallet.list)) return null;
  const out = new Set<string>();
  for (const account of wallet.list) {
    if (!account || (account.coin !== undefined && !Array.isArray(account.coin))) return null;
    for (const c of account.coin ?? []) {
      if (!c || typeof c.coin !== "string") return null;
      if (!active(c)) continue;
      const coin = c.coin.toUpperCase();
      if (coin === "USDT") {
        out.add("linear:USDT");
        if (!withRows.has("linear:USDT") && !withRows.has("spot")) out.add("option");
      } else if (coin === "USDC") {
        out.add("linear:USDC");
        out.add("option");
      } else {
        // Inverse contracts settle in their base coin.
        out.add("inverse");
      }
    }
  }
  return out;
}

export interface ScopePlanOptions {
  /** Read every scope at least this often (ms). */
  fullEveryMs?: number;
  now?: () => number;
}

/** What one gather reads first. */
export interface FirstWave {
  scopes: Scope[];
  full: boolean;
  intentScopes: Set<string>;
}

/** The scopes an account is known to use, per exchange client (one per session). */
export class ScopePlan {
  private readonly sticky = new Set<string>();
  private lastFullMs = Number.NEGATIVE_INFINITY;
  private readonly fullEveryMs: number;
  private readonly now: () => number;

  constructor(opts: ScopePlanOptions = {}) {
    this.fullEveryMs = opts.fullEveryMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The scopes to read with the wallet. `walletRead`: the wallet is read in
   * this gather, so it can rule scopes out; without it everything is read.
   */
  first(intents: readonly Pick<GateIntent, "category" | "symbol">[], walletRead: boolean): FirstWave {
    const intentScopes = new Set<string>();
    let unknown = false;
    for (const i of intents) {
      const s = intentScope(i);
      if (s === null) unknown = true;
      else if (s !== "spot") intentScopes.add(s);
    }
    const full = unknown || !walletRead || this.now() - this.lastFullMs >= this.fullEveryMs;
    if (full) return { scopes: [...DERIVATIVE_SCOPES], full, intentScopes };
    const keys = new Set([...this.sticky, ...intentScopes]);
    return { scopes: DERIVATIVE_SCOPES.filter((s) => keys.has(scopeKey(s))), full, intentScopes };
  }

  /** Scopes to read after the wallet answered: those it cannot rule out, not read yet. */
  second(wallet: WalletResult | null, read: readonly Scope[], withRows: ReadonlySet<string>): Scope[] {
    const done = new Set(read.map(scopeKey));
    const suspects = walletSuspects(wallet, withRows) ?? new Set(BY_KEY.keys());
    return [...suspects].filter((k) => !done.has(k)).map((k) => BY_KEY.get(k) as Scope);
  }

  /** Learn from a completed gather: which scopes had rows. */
  learn(wave: FirstWave, read: readonly Scope[], withRows: ReadonlySet<string>): void {
    const keys = new Set(read.map(scopeKey));
    if (DERIVATIVE_SCOPES.every((s) => keys.has(scopeKey(s))) && wave.full) this.lastFullMs = this.now();
    for (const k of keys) {
      if (withRows.has(k) || wave.intentScopes.has(k)) this.sticky.add(k);
      else this.sticky.delete(k);
    }
    // A call's scope not read at all (cannot happen today) stays sticky too.
    for (const k of wave.intentScopes) this.sticky.add(k);
  }
}
