/**
 * The fields of a mandate as a person types them — one table shared by the
 * flags of `mandate init` and its prompts, so both accept and refuse the
 * same text with the same sentence. Each parser returns a value or the
 * problem; the caller adds the flag name (flags) or asks again (prompts).
 */
import { MAX_LIFETIME_DAYS, type MandateTerms } from "../state/consent.js";

export const INSTRUMENTS = ["equity", "etf", "option", "crypto", "forex", "cfd"] as const;
export const ASSET_CLASSES = ["us_equity", "us_etf", "hk_equity", "cn_equity", "in_equity", "crypto", "forex"] as const;

export type Parsed<T> = { value: T } | { problem: string };

export interface Field<T> {
  flag: string;
  /** The question asked on a terminal. */
  prompt: string;
  /** The default offered on a terminal, as text. */
  dflt: string;
  /** Needed as a flag when committing with --yes (no safe default for money). */
  requiredWithYes: boolean;
  parse(text: string): Parsed<T>;
}

/** The most any cap may say: far beyond any account, but finite and exact in a double. */
const MAX_USD = 1e12;

function usd(text: string): Parsed<number> {
  const t = text.trim().replace(/^\$/, "").replaceAll(",", "");
  const n = Number(t);
  if (!/^\d+(\.\d{1,2})?$/.test(t) || !(n > 0) || n > MAX_USD) return { problem: `must be a US dollar amount above 0 such as 5000 or 250.50, not "${text.trim()}"` };
  return { value: n };
}

function leverage(text: string): Parsed<number> {
  const t = text.trim().replace(/x$/i, "");
  const n = Number(t);
  if (!/^\d+(\.\d{1,4})?$/.test(t) || !(n > 0) || n > 100) return { problem: `must be a number above 0 and at most 100 (1 = cash only), not "${text.trim()}"` };
  return { value: n };
}

function whole(min: number, max: number) {
  return (text: string): Parsed<number> => {
    const t = text.trim();
    if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) return { problem: `must be a whole number from ${min} to ${max}, not "${t}"` };
    return { value: Number(t) };
  };
}

function list(allowed: readonly string[], allowEmpty: boolean) {
  return (text: string): Parsed<string[]> => {
    const items = splitList(text).map((s) => s.toLowerCase());
    const bad = items.filter((s) => !allowed.includes(s));
    if (bad.length > 0) return { problem: `must be a comma list of ${allowed.join(", ")}; "${bad[0]}" is not one` };
    if (items.length === 0 && !allowEmpty) return { problem: `must name at least one of ${allowed.join(", ")} (an empty list allows nothing)` };
    return { value: [...new Set(items)] };
  };
}

function symbols(text: string): Parsed<string[]> {
  const t = text.trim();
  if (t === "" || t.toLowerCase() === "none") return { value: [] };
  const items = splitList(t).map((s) => s.toUpperCase());
  const bad = items.find((s) => !/^[A-Z0-9][A-Z0-9._-]{0,39}$/.test(s));
  if (bad !== undefined) return { problem: `must be a comma list of symbols such as DOGEUSDT,PEPEUSDT; "${bad}" is not a symbol` };
  return { value: [...new Set(items)] };
}

function yesNo(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (["y", "yes", "true"].includes(t)) return { value: true };
  if (["n", "no", "false"].includes(t)) return { value: false };
  return { problem: `must be yes or no, not "${text.trim()}"` };
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The fields in the order they are asked. */
export const FIELDS = {
  funding: { flag: "funding", prompt: "Account funding for the agent, USD (exposure above it is paused)", dflt: "1000", requiredWithYes: true, parse: usd },
  maxOrder: { flag: "max-order", prompt: "Largest single order, USD notional", dflt: "100", requiredWithYes: true, parse: usd },
  maxExposure: { flag: "max-exposure", prompt: "Largest total gross exposure, USD", dflt: "500", requiredWithYes: true, parse: usd },
  maxLeverage: { flag: "max-leverage", prompt: "Largest leverage (1 = cash only)", dflt: "1", requiredWithYes: false, parse: leverage },
  tradesPerDay: { flag: "trades-per-day", prompt: "Most orders per UTC day", dflt: "20", requiredWithYes: true, parse: whole(1, 100_000) },
  instruments: { flag: "instruments", prompt: `Instrument types allowed (${INSTRUMENTS.join(", ")})`, dflt: "crypto", requiredWithYes: false, parse: list(INSTRUMENTS, false) },
  assetClasses: { flag: "asset-classes", prompt: `Asset classes allowed (${ASSET_CLASSES.join(", ")})`, dflt: "crypto", requiredWithYes: false, parse: list(ASSET_CLASSES, false) },
  exclude: { flag: "exclude", prompt: "Symbols never to trade, comma list (none for none)", dflt: "none", requiredWithYes: false, parse: symbols },
  days: { flag: "days", prompt: "Days until the mandate expires", dflt: "30", requiredWithYes: false, parse: whole(1, MAX_LIFETIME_DAYS) },
  flattenOnHalt: { flag: "flatten-on-halt", prompt: "On halt, also close positions (not only cancel orders)? yes/no", dflt: "no", requiredWithYes: false, parse: yesNo },
} satisfies Record<string, Field<unknown>>;

export type FieldName = keyof typeof FIELDS;
export type FieldValues = { [K in FieldName]: (typeof FIELDS)[K] extends Field<infer T> ? T : never };

/** The terms of the mandate, and its lifetime, from the answers. */
export function termsOf(v: FieldValues): { terms: MandateTerms; days: number } {
  return {
    terms: {
      hard_caps: {
        account_funding_usd: v.funding,
        max_order_notional_usd: v.maxOrder,
        max_total_exposure_usd: v.maxExposure,
        max_leverage: v.maxLeverage,
        allowed_instruments: v.instruments,
        max_trades_per_day: v.tradesPerDay,
      },
      universe: { asset_classes: v.assetClasses, min_market_cap_usd: null, min_avg_daily_volume_usd: null, exclude_symbols: v.exclude },
      flatten_on_halt: v.flattenOnHalt,
    },
    days: v.days,
  };
}

/** Caps that make no sense together but are not wrong: said in the summary, not refused. */
export function warnings(t: MandateTerms): string[] {
  const c = t.hard_caps;
  const out: string[] = [];
  if (c.max_order_notional_usd > c.max_total_exposure_usd) out.push("the largest order is above the total exposure cap, so no order that large can pass");
  if (c.max_total_exposure_usd > c.account_funding_usd * c.max_leverage) out.push("the exposure cap is above funding x leverage, so the leverage cap binds first");
  return out;
}
