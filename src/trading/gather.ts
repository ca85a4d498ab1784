/**
 * The I/O half of a decision: read everything the gate needs, in parallel,
 * and record each failure instead of throwing, so the pure gate can fail
 * closed on it and the ledger can say why.
 */
import type { BybitClient } from "../bybit/client.js";
import type { ListResult, TickerRow } from "../bybit/types.js";
import { loadMandate } from "../state/mandate-file.js";
import type { Category, GateIntent, OrderRow, PositionRow, RawFacts } from "../gate/types.js";
import { readHalt, readTradesToday, type RuntimePaths } from "../state/index.js";
import { decAbs, decCmp, isDecimal } from "../util/decimal.js";
import { DERIVATIVE_SCOPES, SPOT_SCOPE, ScopePlan, scopeKey, type Scope, type ScopePlanOptions, type WalletResult } from "./scopes.js";

/** Every scope positions and open orders can sit in (halt reads them all; a gather reads those scopes.ts cannot rule out). */
export const POSITION_SCOPES: { category: Category; settleCoin?: string }[] = [...DERIVATIVE_SCOPES];
export const ORDER_SCOPES: { category: Category; settleCoin?: string }[] = [...POSITION_SCOPES, { category: "spot" }];
const MAX_PAGES = 10;

export interface GatherNeeds {
  quote: boolean;
  exposure: boolean;
  openOrders: boolean;
}

export function needsFor(tool: GateIntent["tool"]): GatherNeeds {
  switch (tool) {
    case "place_order":
    case "amend_order":
      return { quote: true, exposure: true, openOrders: true };
    case "set_leverage":
    case "set_trading_stop":
    case "cancel_order":
    case "cancel_all_orders":
      return { quote: false, exposure: false, openOrders: false };
  }
}

/** Read mandate, HALT and counter from disk: cheap, synchronous, re-read for every batch (never cached). */
export function readLocalFacts(paths: RuntimePaths | null, brokerKey: string | null, brokerKeyRaw: string, nowMs: number) {
  if (!paths || !brokerKey) {
    const reason = `BYBIT_BROKER_KEY "${brokerKeyRaw}" is not a valid broker key, so trading is halted`;
    return {
      mandate: { ok: false as const, reason, problems: [{ path: "BYBIT_BROKER_KEY", message: reason }] },
      halt: { global: false, broker: true, error: reason },
      tradesToday: null,
      counterError: reason,
    };
  }
  const mandate = loadMandate(paths.mandate, { brokerKey, nowMs });
  const halt = readHalt(paths);
  try {
    return { mandate, halt, tradesToday: readTradesToday(paths, nowMs) as number | null, counterError: undefined };
  } catch (err) {
    return { mandate, halt, tradesToday: null, counterError: err instanceof Error ? err.message : String(err) };
  }
}

export interface ExchangeFacts {
  /** Quotes by "category:SYMBOL". */
  quotes: Map<string, { value: RawFacts["quote"]; error?: string }>;
  positions: PositionRow[] | null;
  positionsError?: string;
  openOrders: OrderRow[] | null;
  openOrdersError?: string;
}

export const quoteKey = (category: Category, symbol: string) => `${category}:${symbol.toUpperCase()}`;

/** One plan per exchange client, so per session: what it learns is about one account. */
const plans = new WeakMap<BybitClient, ScopePlan>();

/** The scope plan of a client (created on first use). */
export function scopePlanFor(client: BybitClient, opts?: ScopePlanOptions): ScopePlan {
  let plan = plans.get(client);
  if (!plan) {
    plan = new ScopePlan(opts);
    plans.set(client, plan);
  }
  return plan;
}

/**
 * Read the quotes of the given symbols, positions and open orders from the
 * exchange, all in parallel; positions and orders only in the scopes the
 * account may use (scopes.ts), and a second wave for the scopes the wallet
 * then cannot rule out.
 */
export async function readExchangeFacts(client: BybitClient, intents: GateIntent[], needs: GatherNeeds): Promise<ExchangeFacts> {
  const wanted = needs.quote ? [...new Map(intents.map((i) => [quoteKey(i.category, i.symbol), i])).values()] : [];
  const plan = scopePlanFor(client);
  const scoped = needs.exposure || needs.openOrders;
  const wave = plan.first(intents, needs.exposure);
  const [quotes, first, wallet] = await Promise.all([
    Promise.all(wanted.map(async (i) => [quoteKey(i.category, i.symbol), await fetchQuote(client, i.category, i.symbol)] as const)),
    scoped ? readScopes(client, wave.scopes, needs, true) : Promise.resolve(emptyRead()),
    needs.exposure ? fetchWallet(client) : Promise.resolve(null),
  ]);
  const read = [...wave.scopes];
  let got = first;
  if (needs.exposure && wallet && wallet.value && !got.error) {
    const more = plan.second(wallet.value, read, got.withRows);
    if (more.length > 0) {
      read.push(...more);
      got = mergeReads(got, await readScopes(client, more, needs, false));
    }
  }
  if (scoped && !got.error) plan.learn(wave, read, got.withRows);
  const holdings = wallet ? spotHoldings(wallet) : { value: [] as PositionRow[] };
  const positionsError = got.positionsError ?? holdings.error;
  return {
    quotes: new Map(quotes),
    positions: !needs.exposure ? [] : positionsError ? null : [...(got.positions ?? []), ...(holdings.value ?? [])],
    positionsError: needs.exposure ? positionsError : undefined,
    openOrders: !needs.openOrders ? [] : got.openOrdersError ? null : got.openOrders,
    openOrdersError: needs.openOrders ? got.openOrdersError : undefined,
  };
}

interface ScopeRead {
  positions: PositionRow[] | null;
  positionsError?: string;
  openOrders: OrderRow[] | null;
  openOrdersError?: string;
  /** Any error: nothing is learned and no second wave is read. */
  error?: string;
  /** Scope keys ("linear:USDT", ..., "spot") that returned at least one row. */
  withRows: Set<string>;
}

const emptyRead = (): ScopeRead => ({ positions: [], openOrders: [], withRows: new Set() });

/** Positions (when exposure is needed) and open orders (when needed, spot too on the first wave) of `scopes`. */
async function readScopes(client: BybitClient, scopes: readonly Scope[], needs: GatherNeeds, withSpot: boolean): Promise<ScopeRead> {
  const orderScopes = withSpot ? [...scopes, SPOT_SCOPE] : [...scopes];
  const [positions, orders] = await Promise.all([
    needs.exposure ? fetchRowsByScope<PositionRow>(client, "/v5/position/list", scopes) : Promise.resolve<Fetched<[string, Tagged<PositionRow>[]][] | null>>({ value: [] }),
    needs.openOrders ? fetchRowsByScope<OrderRow>(client, "/v5/order/realtime", orderScopes) : Promise.resolve<Fetched<[string, Tagged<OrderRow>[]][] | null>>({ value: [] }),
  ]);
  const withRows = new Set<string>();
  for (const lists of [positions.value, orders.value]) for (const [k, rows] of lists ?? []) if (rows.length > 0) withRows.add(k);
  return {
    positions: positions.value ? positions.value.flatMap(([, rows]) => rows) : null,
    positionsError: positions.error,
    openOrders: orders.value ? orders.value.flatMap(([, rows]) => rows) : null,
    openOrdersError: orders.error,
    error: positions.error ?? orders.error,
    withRows,
  };
}

function mergeReads(a: ScopeRead, b: ScopeRead): ScopeRead {
  const join = <T>(x: T[] | null, y: T[] | null) => (x && y ? [...x, ...y] : null);
  return {
    positions: join(a.positions, b.positions),
    positionsError: a.positionsError ?? b.positionsError,
    openOrders: join(a.openOrders, b.openOrders),
    openOrdersError: a.openOrdersError ?? b.openOrdersError,
    error: a.error ?? b.error,
    withRows: new Set([...a.withRows, ...b.withRows]),
  };
}

/** The needs of several calls together. */
export function mergeNeeds(tools: GateIntent["tool"][]): GatherNeeds {
  const all = tools.map(needsFor);
  return { quote: all.some((n) => n.quote), exposure: all.some((n) => n.exposure), openOrders: all.some((n) => n.openOrders) };
}

type Fetched<T> = { value: T; error?: string };

/** Cash, not exposure. */
const STABLECOINS = new Set(["USDT", "USDC", "USD", "DAI", "FDUSD", "USDE", "BUSD", "TUSD", "PYUSD", "USDD"]);

/** The UNIFIED wallet, raw; an error instead of throwing. */
export async function fetchWallet(client: BybitClient): Promise<Fetched<WalletResult | null>> {
  try {
    const res = await client.get<WalletResult>("/v5/account/wallet-balance", { accountType: "UNIFIED" }, true);
    return { value: res.result ?? {} };
  } catch (err) {
    return { value: null, error: `wallet unreadable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Spot holdings as positions: a coin held in the wallet is exposure just as
 * a perpetual is, so a run of spot buys fills up max_total_exposure_usd.
 * Stablecoins are cash and left out; a borrowed (negative) balance is short.
 * A coin without a USD value makes exposure unreadable (fail closed).
 */
export function spotHoldings(wallet: Fetched<WalletResult | null>): Fetched<PositionRow[] | null> {
  if (!wallet.value) return { value: null, error: wallet.error ?? "wallet unreadable" };
  try {
    const rows: PositionRow[] = [];
    for (const account of wallet.value.list ?? []) {
      for (const c of account.coin ?? []) {
        const coin = String(c.coin).toUpperCase();
        if (STABLECOINS.has(coin)) continue;
        if (!isDecimal(c.walletBalance ?? "")) throw new Error(`wallet coin ${coin} has no walletBalance`);
        const balance = c.walletBalance as string;
        if (decCmp(balance, 0) === 0) continue;
        if (!isDecimal(c.usdValue ?? "")) throw new Error(`wallet coin ${coin} has no usdValue`);
        rows.push({
          category: "spot",
          symbol: `${coin}USDT`,
          side: decCmp(balance, 0) > 0 ? "Buy" : "Sell",
          size: decAbs(balance),
          positionValue: decAbs(c.usdValue as string),
        });
      }
    }
    return { value: rows };
  } catch (err) {
    return { value: null, error: `wallet unreadable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Spot holdings read on their own (one wallet read). */
export async function fetchSpotHoldings(client: BybitClient): Promise<Fetched<PositionRow[] | null>> {
  return spotHoldings(await fetchWallet(client));
}

/** Everything that counts toward gross exposure besides resting orders, in every scope: derivative positions and spot holdings. */
export async function fetchExposureRows(client: BybitClient): Promise<Fetched<PositionRow[] | null>> {
  const [positions, holdings] = await Promise.all([fetchRows<PositionRow>(client, "/v5/position/list", POSITION_SCOPES), fetchSpotHoldings(client)]);
  if (!positions.value || !holdings.value) return { value: null, error: positions.error ?? holdings.error };
  return { value: [...positions.value, ...holdings.value] };
}

async function fetchQuote(client: BybitClient, category: Category, symbol: string): Promise<Fetched<RawFacts["quote"]>> {
  try {
    const res = await client.get<ListResult<TickerRow>>("/v5/market/tickers", { category, symbol: symbol.toUpperCase() });
    const row = res.result?.list?.find((r) => r.symbol === symbol.toUpperCase());
    if (!row) return { value: null, error: `no ticker for ${symbol} in ${category}` };
    return { value: { ...row, category, fetchedAtMs: Date.now() } };
  } catch (err) {
    return { value: null, error: `quote unavailable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

type Tagged<Row> = Row & { category: Category };

/** Every row of `path` in each scope (all pages), keyed by scope. */
async function fetchRowsByScope<Row>(client: BybitClient, path: string, scopes: readonly Scope[]): Promise<Fetched<[string, Tagged<Row>[]][] | null>> {
  try {
    const lists = await Promise.all(
      scopes.map(async (scope): Promise<[string, Tagged<Row>[]]> => {
        const rows: Tagged<Row>[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const res = await client.get<ListResult<Row>>(path, { ...scope, limit: path.includes("position") ? 200 : 50, cursor }, true);
          for (const r of res.result?.list ?? []) rows.push({ ...r, category: scope.category });
          cursor = res.result?.nextPageCursor || undefined;
          if (!cursor) return [scopeKey(scope), rows];
        }
        throw new Error(`more than ${MAX_PAGES} pages of ${path} for ${scope.category}`);
      }),
    );
    return { value: lists };
  } catch (err) {
    return { value: null, error: `${path} unreadable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function fetchRows<Row>(
  client: BybitClient,
  path: string,
  scopes: { category: Category; settleCoin?: string }[],
): Promise<{ value: (Row & { category: Category })[] | null; error?: string }> {
  const got = await fetchRowsByScope<Row>(client, path, scopes);
  return got.value ? { value: got.value.flatMap(([, rows]) => rows) } : { value: null, error: got.error };
}

/** Find a resting order by orderId or orderLinkId among open orders. */
export function findOrder(rows: OrderRow[] | null, ref: { orderId?: string; orderLinkId?: string }, category: Category, symbol: string): OrderRow | null {
  if (!rows) return null;
  return (
    rows.find(
      (r) =>
        r.symbol === symbol &&
        (r.category === undefined || r.category === category) &&
        ((ref.orderId !== undefined && r.orderId === ref.orderId) || (ref.orderLinkId !== undefined && r.orderLinkId === ref.orderLinkId)),
    ) ?? null
  );
}
