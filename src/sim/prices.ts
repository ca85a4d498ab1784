/**
 * The simulator's price model. The mark of each instrument oscillates
 * slowly (±0.05% over ten minutes) around its recorded price, unless a test
 * pins it; bid, ask and last sit one tick around the mark. Synthetic curves
 * are computed with doubles but every price leaves here snapped to the tick
 * with exact decimal math, so no float noise reaches a response.
 */
import { decDiv, decFormat, decMul } from "../util/decimal.js";
import { type Instrument, findInstrument } from "./fixtures.js";
import type { Category } from "./types.js";

const DRIFT_AMPLITUDE = 0.0005;
const DRIFT_PERIOD_MS = 10 * 60 * 1000;

export interface Quote {
  mark: string;
  last: string;
  bid: string;
  ask: string;
  index: string;
}

export class PriceModel {
  private readonly pinned = new Map<string, string>();

  constructor(
    private readonly clock: () => number,
    private readonly drift: boolean,
  ) {}

  /** Fix the mark of one instrument (drift stops for it). */
  pin(category: Category, symbol: string, price: string): void {
    const inst = findInstrument(category, symbol);
    if (!inst) throw new RangeError(`unknown instrument ${category}:${symbol}`);
    this.pinned.set(`${category}:${symbol}`, snap(Number(price), inst.tickSize));
  }

  /** Current mark (spot: the last-trade reference), a multiple of the tick. */
  mark(inst: Instrument): string {
    const pinned = this.pinned.get(`${inst.category}:${inst.symbol}`);
    if (pinned !== undefined) return pinned;
    const base = Number(inst.basePrice);
    if (!this.drift) return snap(base, inst.tickSize);
    const t = this.clock();
    return snap(base * (1 + DRIFT_AMPLITUDE * Math.sin((2 * Math.PI * t) / DRIFT_PERIOD_MS + inst.phase)), inst.tickSize);
  }

  quote(inst: Instrument): Quote {
    const mark = this.mark(inst);
    const tick = Number(inst.tickSize);
    const m = Number(mark);
    const bid = snap(Math.max(m - tick, tick), inst.tickSize);
    const ask = snap(m + tick, inst.tickSize);
    const index = inst.category === "option" ? this.underlying() : snap(m * 0.99995, inst.tickSize);
    return { mark, last: mark, bid, ask, index };
  }

  /** The option underlying: the BTCUSDT perpetual's mark. */
  underlying(): string {
    const perp = findInstrument("linear", "BTCUSDT");
    return perp ? this.mark(perp) : "0";
  }

  /**
   * A deterministic historical price at time t that meets the current mark
   * at `anchor`: mark x (1 + w(t) - w(anchor)) with w a sum of slow sines.
   * Callers anchor at the start of the current candle, so history only
   * shifts when a new candle opens, as on a real chart.
   */
  historical(inst: Instrument, t: number, anchor: number): number {
    const w = (x: number): number =>
      0.03 * Math.sin((2 * Math.PI * x) / (30 * 86_400_000) + inst.phase) +
      0.01 * Math.sin((2 * Math.PI * x) / 86_400_000 + inst.phase) +
      0.002 * Math.sin((2 * Math.PI * x) / 3_600_000) +
      0.0006 * Math.sin((2 * Math.PI * x) / 300_000);
    return Number(this.mark(inst)) * (1 + w(t) - w(anchor));
  }
}

/** Number of fraction digits of a step such as "0.10" (2) or "5" (0). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf(".");
  return dot < 0 ? 0 : step.length - dot - 1;
}

/** The nearest multiple of `step` to x, rendered with the step's decimals ("97250.40"). */
export function snap(x: number, step: string): string {
  const units = Math.max(Math.round(x / Number(step)), 0);
  return decFormat(decMul(String(units), step), decimalsOf(step), false);
}

/** The largest multiple of `step` not above x (quantities). */
export function snapDown(x: number, step: string): string {
  const units = Math.max(Math.floor(x / Number(step) + 1e-9), 0);
  return decFormat(decMul(String(units), step), decimalsOf(step), false);
}

/** The largest multiple of `step` not above a non-negative decimal, exactly (quantities that are traded). */
export function floorToStep(value: string, step: string): string {
  const units = decDiv(value, step, 8).split(".")[0] ?? "0";
  return decFormat(decMul(units, step), decimalsOf(step), false);
}

/** A deterministic number in [0, 1) for an integer seed. */
export function unitHash(seed: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}
