/**
 * Account and position endpoints: wallet-balance (UNIFIED), position list,
 * set-leverage (110043 when unchanged) and trading-stop (34040 when
 * nothing changes).
 */
import { decAdd, decCmp, decDiv, decIsMultiple, decMul, decSub, toDecimalString } from "../util/decimal.js";
import { ILLEGAL_CATEGORY, RetCodeError, SYMBOL_INVALID, intParam, paginate, paramsError } from "./envelope.js";
import { INSTRUMENTS, type Instrument, findInstrument } from "./fixtures.js";
import type { Book } from "./book.js";
import { decimalField, stringField } from "./order-rules.js";
import { type Category, isCategory } from "./types.js";
import type { Params } from "./orders.js";

function derivCategory(p: Params, allowed: readonly Category[]): Category {
  if (!isCategory(p.category) || !allowed.includes(p.category)) throw ILLEGAL_CATEGORY();
  return p.category;
}

function derivInstrument(c: Category, p: Params): Instrument {
  const symbol = stringField(p, "symbol");
  if (!symbol) throw paramsError("symbol is required");
  const inst = findInstrument(c, symbol);
  if (!inst) throw SYMBOL_INVALID();
  return inst;
}

const usd = (amount: string, price: string): string => decDiv(decMul(amount, price), "1", 8);

function coinRow(book: Book, coin: string): Record<string, unknown> {
  const wallet = book.balance(coin);
  const upl = book.unrealised(coin);
  const equity = decAdd(wallet, upl);
  const orderIM = book.orderLocked(coin);
  const positionIM = book.positionLocked(coin);
  const available = book.free(coin);
  return {
    coin,
    equity,
    usdValue: usd(equity, book.usdPrice(coin)),
    walletBalance: wallet,
    free: "",
    locked: "0",
    spotHedgingQty: "0",
    borrowAmount: "0",
    availableToWithdraw: available,
    availableToBorrow: "",
    accruedInterest: "0",
    totalOrderIM: orderIM,
    totalPositionIM: positionIM,
    totalPositionMM: book.maintenance(coin),
    unrealisedPnl: upl,
    cumRealisedPnl: book.state.realised[coin] ?? "0",
    bonus: "0",
    marginCollateral: true,
    collateralSwitch: true,
    spotBorrow: "0",
  };
}

function walletBalance(p: Params, book: Book): unknown {
  if (p.accountType !== "UNIFIED") throw paramsError("accountType only support UNIFIED");
  const filter = stringField(p, "coin");
  const coins = filter
    ? filter.split(",").map((c) => c.trim()).filter(Boolean)
    : Object.keys(book.state.wallet).filter((c) => decCmp(book.balance(c), "0") !== 0 || decCmp(book.positionLocked(c), "0") !== 0);
  const rows = coins.map((c) => coinRow(book, c));
  let totalWallet = "0";
  let totalEquity = "0";
  let totalUpl = "0";
  let totalIM = "0";
  let totalMM = "0";
  for (const c of Object.keys(book.state.wallet)) {
    const price = book.usdPrice(c);
    totalWallet = decAdd(totalWallet, usd(book.balance(c), price));
    const upl = book.unrealised(c);
    totalEquity = decAdd(totalEquity, usd(decAdd(book.balance(c), upl), price));
    totalUpl = decAdd(totalUpl, usd(upl, price));
    totalIM = decAdd(totalIM, usd(decAdd(book.orderLocked(c), book.positionLocked(c)), price));
    totalMM = decAdd(totalMM, usd(book.maintenance(c), price));
  }
  const ratio = (x: string): string => (decCmp(totalEquity, "0") > 0 ? decDiv(x, totalEquity, 4) : "0");
  const availableUsd = decSub(totalEquity, totalIM);
  return {
    list: [
      {
        accountType: "UNIFIED",
        accountIMRate: ratio(totalIM),
        accountMMRate: ratio(totalMM),
        accountIMRateByMp: ratio(totalIM),
        accountMMRateByMp: ratio(totalMM),
        totalEquity,
        totalWalletBalance: totalWallet,
        totalMarginBalance: totalEquity,
        totalAvailableBalance: decCmp(availableUsd, "0") < 0 ? "0" : availableUsd,
        totalPerpUPL: totalUpl,
        totalInitialMargin: totalIM,
        totalInitialMarginByMp: totalIM,
        totalMaintenanceMargin: totalMM,
        totalMaintenanceMarginByMp: totalMM,
        accountLTV: "0",
        coin: rows,
      },
    ],
  };
}

function positionList(p: Params, book: Book): unknown {
  const c = derivCategory(p, ["linear", "inverse", "option"]);
  const symbol = stringField(p, "symbol");
  const baseCoin = stringField(p, "baseCoin");
  const settleCoin = stringField(p, "settleCoin");
  const limit = intParam(stringField(p, "limit"), "limit", 1, 200, 20);
  let rows: Array<Record<string, unknown>>;
  if (symbol) {
    // A symbol query answers its row even when flat, as Bybit does.
    rows = [book.positionRow(derivInstrument(c, p))];
  } else {
    rows = INSTRUMENTS.filter(
      (i) =>
        i.category === c &&
        book.position(c, i.symbol) !== undefined &&
        (!baseCoin || i.baseCoin === baseCoin) &&
        (!settleCoin || i.settleCoin === settleCoin),
    ).map((i) => book.positionRow(i));
  }
  const { page, nextPageCursor } = paginate(rows, limit, stringField(p, "cursor"));
  return { category: c, list: page, nextPageCursor };
}

function setLeverage(p: Params, book: Book): unknown {
  const c = derivCategory(p, ["linear", "inverse"]);
  const inst = derivInstrument(c, p);
  const buy = decimalField(p, "buyLeverage", true)!;
  const sell = decimalField(p, "sellLeverage", true)!;
  if (decCmp(buy, sell) !== 0) throw paramsError("buyLeverage must equal sellLeverage in one-way mode");
  if (decCmp(buy, "1") < 0 || decCmp(buy, inst.maxLeverage ?? "100") > 0 || !decIsMultiple(buy, "0.01")) {
    throw new RetCodeError(10001, `leverage invalid: must be between 1 and ${inst.maxLeverage} in steps of 0.01`);
  }
  const next = toDecimalString(buy);
  if (decCmp(next, book.leverageOf(c, inst.symbol)) === 0) throw new RetCodeError(110043, "leverage not modified");
  const key = `${c}:${inst.symbol}`;
  const before = book.state.leverage[key];
  book.state.leverage[key] = next;
  // Lowering leverage raises the margin an open position needs.
  if (decCmp(book.available(book.marginCoin(inst)), "0") < 0) {
    if (before === undefined) delete book.state.leverage[key];
    else book.state.leverage[key] = before;
    throw new RetCodeError(110044, "Insufficient available margin");
  }
  return {};
}

function tradingStop(p: Params, book: Book): unknown {
  const c = derivCategory(p, ["linear", "inverse"]);
  const inst = derivInstrument(c, p);
  const idx = p.positionIdx;
  if (idx !== 0 && idx !== "0") throw paramsError("position idx not match position mode");
  const tpslMode = stringField(p, "tpslMode") ?? "Full";
  if (tpslMode !== "Full" && tpslMode !== "Partial") throw paramsError("tpslMode invalid");
  const pos = book.position(c, inst.symbol);
  if (!pos) throw new RetCodeError(10001, "can not set tp/sl/ts for zero position");
  const takeProfit = decimalField(p, "takeProfit", false);
  const stopLoss = decimalField(p, "stopLoss", false);
  const trailingStop = decimalField(p, "trailingStop", false);
  const mark = book.prices.mark(inst);
  const long = pos.side === "Buy";
  // "0" cancels; anything else must sit on the profitable (TP) or losing (SL) side of the mark.
  if (takeProfit && decCmp(takeProfit, "0") !== 0 && (long ? decCmp(takeProfit, mark) <= 0 : decCmp(takeProfit, mark) >= 0)) {
    throw new RetCodeError(10001, `TakeProfit:${takeProfit} set for ${pos.side} position should be ${long ? "higher" : "lower"} than base_price:${mark}??MarkPrice`);
  }
  if (stopLoss && decCmp(stopLoss, "0") !== 0 && (long ? decCmp(stopLoss, mark) >= 0 : decCmp(stopLoss, mark) <= 0)) {
    throw new RetCodeError(10001, `StopLoss:${stopLoss} set for ${pos.side} position should be ${long ? "lower" : "higher"} than base_price:${mark}??MarkPrice`);
  }
  const same = (a: string | undefined, b: string): boolean => a === undefined || decCmp(a, b) === 0;
  if (same(takeProfit, pos.takeProfit) && same(stopLoss, pos.stopLoss) && same(trailingStop, pos.trailingStop) && tpslMode === pos.tpslMode) {
    throw new RetCodeError(34040, "not modified");
  }
  if (takeProfit !== undefined) pos.takeProfit = toDecimalString(takeProfit);
  if (stopLoss !== undefined) pos.stopLoss = toDecimalString(stopLoss);
  if (trailingStop !== undefined) pos.trailingStop = toDecimalString(trailingStop);
  pos.tpslMode = tpslMode;
  pos.updatedTime = String(book.now());
  return {};
}

export const ACCOUNT_ROUTES = {
  "/v5/account/wallet-balance": { method: "GET", handler: walletBalance },
  "/v5/position/list": { method: "GET", handler: positionList },
  "/v5/position/set-leverage": { method: "POST", handler: setLeverage },
  "/v5/position/trading-stop": { method: "POST", handler: tradingStop },
} as const;
