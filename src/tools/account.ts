/**
 * The four private read tools (wallet, positions, open orders, order
 * history). They need BYBIT_API_KEY / BYBIT_API_SECRET; never gated.
 */
import { z } from "zod";
import { category, cursor, defineTool, limit, readCall, READ_ONLY, symbol, timestampMs } from "./common.js";
import { pagedList, readOut, str } from "./output.js";

const coin = z.string().regex(/^[A-Za-z0-9]{1,20}(,[A-Za-z0-9]{1,20}){0,19}$/, "coins: comma-separated coin names");
const settleCoin = z.string().regex(/^[A-Za-z0-9]{1,20}$/);
const orderRows = readOut(pagedList(z.looseObject({ orderId: str, symbol: str, orderStatus: str })));

/** Wallet balances of the unified account. */
export const getWalletBalance = defineTool({
  name: "bybit_get_wallet_balance",
  title: "Wallet balance",
  description: "Account equity, available balance and per-coin balances. coins: e.g. \"USDT,BTC\".",
  input: z.strictObject({ account_type: z.enum(["UNIFIED", "CONTRACT", "SPOT"]).optional(), coins: coin.optional() }),
  output: readOut(z.looseObject({ list: z.array(z.looseObject({ accountType: str, coin: z.array(z.looseObject({ coin: str, walletBalance: str })) })) })),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/account/wallet-balance", {
      accountType: a.account_type ?? "UNIFIED",
      coin: a.coins?.toUpperCase(),
    }, "bybit_get_wallet_balance"),
});

/** Open positions. */
export const getPositions = defineTool({
  name: "bybit_get_positions",
  title: "Positions",
  description: "Open positions: side, size, entry, mark, liquidation price, PnL. linear needs symbol or settle_coin.",
  input: z.strictObject({
    category,
    symbol: symbol.optional(),
    settle_coin: settleCoin.optional(),
    limit: limit(200).optional(),
    cursor: cursor.optional(),
  }),
  output: readOut(pagedList(z.looseObject({ symbol: str, side: str, size: str }))),
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/position/list", {
      category: a.category,
      symbol: a.symbol?.toUpperCase(),
      settleCoin: a.settle_coin?.toUpperCase(),
      limit: a.limit,
      cursor: a.cursor,
    }, "bybit_get_positions"),
});

/** Resting (open) orders. */
export const getOpenOrders = defineTool({
  name: "bybit_get_open_orders",
  title: "Open orders",
  description: "Resting orders with status, price, qty and leaves qty. linear needs symbol or settle_coin.",
  input: z.strictObject({
    category,
    symbol: symbol.optional(),
    settle_coin: settleCoin.optional(),
    limit: limit(50).optional(),
    cursor: cursor.optional(),
  }),
  output: orderRows,
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/order/realtime", {
      category: a.category,
      symbol: a.symbol?.toUpperCase(),
      settleCoin: a.settle_coin?.toUpperCase(),
      limit: a.limit,
      cursor: a.cursor,
    }, "bybit_get_open_orders"),
});

/** Past orders (7-day window per query). */
export const getOrderHistory = defineTool({
  name: "bybit_get_order_history",
  title: "Order history",
  description: "Filled, cancelled and rejected orders; one query spans at most 7 days.",
  input: z.strictObject({
    category,
    symbol: symbol.optional(),
    start_ms: timestampMs.optional(),
    end_ms: timestampMs.optional(),
    limit: limit(50).optional(),
    cursor: cursor.optional(),
  }),
  output: orderRows,
  annotations: READ_ONLY,
  handler: (a, deps) =>
    readCall(deps, "/v5/order/history", {
      category: a.category,
      symbol: a.symbol?.toUpperCase(),
      startTime: a.start_ms,
      endTime: a.end_ms,
      limit: a.limit,
      cursor: a.cursor,
    }, "bybit_get_order_history"),
});

export const accountTools = [getWalletBalance, getPositions, getOpenOrders, getOrderHistory];
