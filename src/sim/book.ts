/**
 * The exchange's books and the arithmetic on them: leverage, margin locked
 * by positions and resting orders, fills into one-way positions, realised
 * PnL into the wallet, and rendering Bybit position rows. All money math is
 * exact decimal strings; divisions (inverse values, averages) round to 8
 * fraction digits as Bybit's own values do.
 */
import { decAdd, decCmp, decDiv, decMul, decSub } from "../util/decimal.js";
import { DEFAULT_LEVERAGE, type Instrument, findInstrument } from "./fixtures.js";
import type { PriceModel } from "./prices.js";
import { snap } from "./prices.js";
import type { Category, ExchangeState, SimOrder, StoredPosition } from "./types.js";

const OPEN_STATUSES = new Set(["New", "PartiallyFilled", "Untriggered"]);
/** Maintenance margin rate used for positionMM and the liquidation estimate. */
const MMR = "0.005";

export function isOpen(order: SimOrder): boolean {
  return OPEN_STATUSES.has(order.orderStatus);
}

const min = (a: string, b: string): string => (decCmp(a, b) <= 0 ? a : b);
const pos0 = (a: string): string => (decCmp(a, "0") < 0 ? "0" : a);

export class Book {
  constructor(
    readonly state: ExchangeState,
    readonly prices: PriceModel,
    /** Server clock (ms), skew included. */
    readonly now: () => number,
    private readonly persistFn: (state: ExchangeState) => void,
  ) {}

  persist(): void {
    this.persistFn(this.state);
  }

  leverageOf(category: Category, symbol: string): string {
    if (category === "option" || category === "spot") return "1";
    return this.state.leverage[`${category}:${symbol}`] ?? DEFAULT_LEVERAGE;
  }

  position(category: Category, symbol: string): StoredPosition | undefined {
    return this.state.positions.find((p) => p.category === category && p.symbol === symbol);
  }

  /** The coin that margins an instrument (options are margined in USDT here, not USDC). */
  marginCoin(inst: Instrument): string {
    return inst.category === "option" ? "USDT" : inst.category === "spot" ? inst.quoteCoin : inst.settleCoin;
  }

  /** Initial margin for `qty` at `price`: linear qty*price/lev, inverse qty/price/lev, option qty*price. */
  margin(inst: Instrument, qty: string, price: string): string {
    const lev = this.leverageOf(inst.category, inst.symbol);
    if (inst.category === "inverse") return decDiv(qty, decMul(price, lev), 8);
    if (inst.category === "option") return decMul(qty, price);
    return decDiv(decMul(qty, price), lev, 8);
  }

  /** Margin and spot funds that open orders hold in `coin`. */
  orderLocked(coin: string): string {
    let total = "0";
    for (const o of this.state.orders) {
      if (!isOpen(o)) continue;
      const inst = findInstrument(o.category, o.symbol);
      if (!inst) continue;
      if (inst.category === "spot") {
        if (o.side === "Buy" && inst.quoteCoin === coin) total = decAdd(total, decMul(o.leavesQty, o.price));
        if (o.side === "Sell" && inst.baseCoin === coin) total = decAdd(total, o.leavesQty);
      } else if (!o.reduceOnly && this.marginCoin(inst) === coin) {
        total = decAdd(total, this.margin(inst, o.leavesQty, o.price));
      }
    }
    return total;
  }

  positionLocked(coin: string): string {
    let total = "0";
    for (const p of this.state.positions) {
      const inst = findInstrument(p.category, p.symbol);
      if (inst && this.marginCoin(inst) === coin) total = decAdd(total, this.margin(inst, p.size, p.avgPrice));
    }
    return total;
  }

  balance(coin: string): string {
    return this.state.wallet[coin] ?? "0";
  }

  available(coin: string): string {
    return decSub(decSub(this.balance(coin), this.orderLocked(coin)), this.positionLocked(coin));
  }

  credit(coin: string, amount: string): void {
    this.state.wallet[coin] = decAdd(this.balance(coin), amount);
  }

  /** PnL of closing `qty` of a position at `price`, in the margin coin. */
  pnl(inst: Instrument, side: "Buy" | "Sell", avg: string, price: string, qty: string): string {
    const raw =
      inst.category === "inverse"
        ? decSub(decDiv(qty, avg, 8), decDiv(qty, price, 8))
        : decMul(decSub(price, avg), qty);
    return side === "Buy" ? raw : decSub("0", raw);
  }

  /**
   * Applies a derivatives fill to the one-way position: adds on the same
   * side (volume-weighted average, harmonic for inverse), reduces on the
   * other side (booking realised PnL), and flips past zero.
   */
  fillDerivative(inst: Instrument, side: "Buy" | "Sell", qty: string, price: string, tpsl?: { takeProfit?: string; stopLoss?: string }): void {
    const now = String(this.now());
    const coin = this.marginCoin(inst);
    const p = this.position(inst.category, inst.symbol);
    let remaining = qty;
    if (p && p.side !== side) {
      const closing = min(qty, p.size);
      const realised = this.pnl(inst, p.side, p.avgPrice, price, closing);
      this.credit(coin, realised);
      this.state.realised[coin] = decAdd(this.state.realised[coin] ?? "0", realised);
      p.cumRealisedPnl = decAdd(p.cumRealisedPnl, realised);
      p.size = decSub(p.size, closing);
      p.updatedTime = now;
      remaining = decSub(qty, closing);
      if (decCmp(p.size, "0") === 0) this.state.positions = this.state.positions.filter((x) => x !== p);
    } else if (p) {
      const size = decAdd(p.size, qty);
      p.avgPrice =
        inst.category === "inverse"
          ? decDiv(size, decAdd(decDiv(p.size, p.avgPrice, 12), decDiv(qty, price, 12)), 8)
          : decDiv(decAdd(decMul(p.size, p.avgPrice), decMul(qty, price)), size, 8);
      p.size = size;
      p.updatedTime = now;
      remaining = "0";
    }
    if (decCmp(remaining, "0") > 0) {
      this.state.positions.push({
        category: inst.category,
        symbol: inst.symbol,
        side,
        size: remaining,
        avgPrice: price,
        takeProfit: "0",
        stopLoss: "0",
        trailingStop: "0",
        tpslMode: "Full",
        cumRealisedPnl: "0",
        createdTime: now,
        updatedTime: now,
      });
    }
    const after = this.position(inst.category, inst.symbol);
    if (after && tpsl?.takeProfit) after.takeProfit = tpsl.takeProfit;
    if (after && tpsl?.stopLoss) after.stopLoss = tpsl.stopLoss;
  }

  /** Bybit's position row for a symbol (a zero row when flat). */
  positionRow(inst: Instrument, withCategory = false): Record<string, unknown> {
    const p = this.position(inst.category, inst.symbol);
    const mark = this.prices.mark(inst);
    const leverage = this.leverageOf(inst.category, inst.symbol);
    const now = String(this.now());
    const base = {
      ...(withCategory ? { category: inst.category } : {}),
      positionIdx: 0,
      riskId: 1,
      riskLimitValue: inst.category === "inverse" ? "150" : "2000000",
      symbol: inst.symbol,
    };
    if (!p) {
      return {
        ...base,
        side: "",
        size: "0",
        avgPrice: "0",
        positionValue: "0",
        tradeMode: 0,
        positionStatus: "Normal",
        autoAddMargin: 0,
        adlRankIndicator: 0,
        leverage,
        positionBalance: "0",
        markPrice: mark,
        liqPrice: "",
        bustPrice: "",
        positionMM: "0",
        positionIM: "0",
        tpslMode: "Full",
        takeProfit: "0",
        stopLoss: "0",
        trailingStop: "0",
        unrealisedPnl: "0",
        curRealisedPnl: "0",
        cumRealisedPnl: "0",
        seq: 0,
        isReduceOnly: false,
        mmrSysUpdatedTime: "",
        leverageSysUpdatedTime: "",
        sessionAvgPrice: "",
        createdTime: now,
        updatedTime: now,
      };
    }
    const im = this.margin(inst, p.size, p.avgPrice);
    const value = inst.category === "inverse" ? decDiv(p.size, p.avgPrice, 8) : decMul(p.size, p.avgPrice);
    const mm = decMul(value, MMR);
    // Liquidation estimate for an isolated position: entry moved against it by 1/leverage - MMR.
    const move = Number(decSub(decDiv("1", leverage, 8), MMR));
    const liq = inst.category === "option" ? "" : snap(Number(p.avgPrice) * (p.side === "Buy" ? 1 - move : 1 + move), inst.tickSize);
    const bust = inst.category === "option" ? "" : snap(Number(p.avgPrice) * (p.side === "Buy" ? 1 - 1 / Number(leverage) : 1 + 1 / Number(leverage)), inst.tickSize);
    return {
      ...base,
      side: p.side,
      size: p.size,
      avgPrice: p.avgPrice,
      positionValue: value,
      tradeMode: 0,
      positionStatus: "Normal",
      autoAddMargin: 0,
      adlRankIndicator: 2,
      leverage,
      positionBalance: im,
      markPrice: mark,
      liqPrice: liq === "0" ? "" : liq,
      bustPrice: bust === "0" ? "" : bust,
      positionMM: mm,
      positionIM: im,
      tpslMode: p.tpslMode,
      takeProfit: p.takeProfit,
      stopLoss: p.stopLoss,
      trailingStop: p.trailingStop,
      unrealisedPnl: this.pnl(inst, p.side, p.avgPrice, mark, p.size),
      curRealisedPnl: p.cumRealisedPnl,
      cumRealisedPnl: p.cumRealisedPnl,
      seq: Number(p.updatedTime) % 1_000_000_000,
      isReduceOnly: false,
      mmrSysUpdatedTime: "",
      leverageSysUpdatedTime: "",
      sessionAvgPrice: "",
      createdTime: p.createdTime,
      updatedTime: p.updatedTime,
    };
  }

  /** Unrealised PnL of all positions margined in `coin`. */
  unrealised(coin: string): string {
    let total = "0";
    for (const p of this.state.positions) {
      const inst = findInstrument(p.category, p.symbol);
      if (inst && this.marginCoin(inst) === coin) total = decAdd(total, this.pnl(inst, p.side, p.avgPrice, this.prices.mark(inst), p.size));
    }
    return total;
  }

  /** Maintenance margin of all positions margined in `coin`. */
  maintenance(coin: string): string {
    let total = "0";
    for (const p of this.state.positions) {
      const inst = findInstrument(p.category, p.symbol);
      if (!inst || this.marginCoin(inst) !== coin) continue;
      const value = inst.category === "inverse" ? decDiv(p.size, p.avgPrice, 8) : decMul(p.size, p.avgPrice);
      total = decAdd(total, decMul(value, MMR));
    }
    return total;
  }

  /** USD value of one unit of a coin (stablecoins 1, others the spot mark). */
  usdPrice(coin: string): string {
    if (coin === "USDT" || coin === "USDC" || coin === "USD") return "1";
    const spot = findInstrument("spot", `${coin}USDT`);
    return spot ? this.prices.mark(spot) : "0";
  }

  /** Never below zero: what a coin can still fund. */
  free(coin: string): string {
    return pos0(this.available(coin));
  }
}
