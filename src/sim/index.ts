/**
 * The simulated Bybit v5 exchange: a real HTTP server on loopback that
 * verifies signatures, serves recorded-style market data with a moving
 * mark, keeps orders, positions and a wallet, enforces filters and rate
 * limits, and takes fault switches. Every integration test and the demo
 * talk to it; nothing here reaches Bybit.
 */
import type { AddressInfo } from "node:net";
import { toDecimalString } from "../util/decimal.js";
import type { SimKey } from "./auth.js";
import { Book } from "./book.js";
import { FaultSwitches } from "./faults.js";
import { findInstrument } from "./fixtures.js";
import { PriceModel } from "./prices.js";
import { RateLimiter } from "./ratelimit.js";
import { createSimServer } from "./server.js";
import { freshState, loadState, saveState } from "./state.js";
import type { Category, Sim, SimOptions, SimPositionRow, SimRequestLog, SimSnapshot } from "./types.js";

export type {
  Category,
  FaultConfig,
  FaultName,
  NextFault,
  Sim,
  SimFaults,
  SimOptions,
  SimOrder,
  SimPositionRow,
  SimRequestLog,
  SimSnapshot,
} from "./types.js";
export { FAULT_NAMES } from "./types.js";
export { INSTRUMENTS, DEFAULT_WALLET, DEFAULT_LEVERAGE } from "./fixtures.js";

export const DEFAULT_SIM_API_KEY = "sim-demo-key";
export const DEFAULT_SIM_API_SECRET = "sim-demo-secret";

/** Starts the simulator and resolves once it listens. */
export async function startSim(options: SimOptions = {}): Promise<Sim> {
  const clock = options.now ?? Date.now;
  const faults = new FaultSwitches();
  const serverNow = () => clock() + faults.skew();
  const apiKey = options.apiKey ?? DEFAULT_SIM_API_KEY;
  const apiSecret = options.apiSecret ?? DEFAULT_SIM_API_SECRET;
  const keys = new Map<string, SimKey>([[apiKey, { key: apiKey, secret: apiSecret, uid: "1000001" }]]);
  (options.extraKeys ?? []).forEach((k, i) => keys.set(k.key, { key: k.key, secret: k.secret, uid: k.uid ?? String(1000002 + i) }));

  const stateFile = options.stateFile;
  const state = stateFile ? loadState(stateFile) : freshState();
  const prices = new PriceModel(serverNow, options.markDrift ?? true);
  const book = new Book(state, prices, serverNow, (s) => {
    if (stateFile) saveState(stateFile, s);
  });
  const log: SimRequestLog[] = [];

  const setMarkPrice = (category: Category, symbol: string, price: string): void => {
    if (!findInstrument(category, symbol)) throw new RangeError(`the simulator does not list ${category} ${symbol}`);
    prices.pin(category, symbol, toDecimalString(price));
  };
  const setWalletBalance = (coin: string, amount: string): void => {
    if (!/^[A-Z0-9]{2,10}$/.test(coin)) throw new RangeError(`not a coin: ${coin}`);
    state.wallet[coin] = toDecimalString(amount);
    book.persist();
  };
  const snapshot = (): SimSnapshot => ({
    orders: structuredClone(state.orders),
    positions: state.positions.flatMap((p) => {
      const inst = findInstrument(p.category, p.symbol);
      return inst ? [book.positionRow(inst, true) as SimPositionRow] : [];
    }),
    wallet: { ...state.wallet },
    leverage: { ...state.leverage },
  });

  const sim = createSimServer({
    keys,
    book,
    faults,
    limiter: new RateLimiter(options.rateLimits ?? true),
    clock,
    serverNow,
    log,
    snapshot,
    admin: { setMarkPrice, setWalletBalance },
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    sim.server.once("error", reject);
    sim.server.listen(options.port ?? 0, host, () => {
      sim.server.off("error", reject);
      resolve();
    });
  });
  const { port } = sim.server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    apiKey,
    apiSecret,
    faults,
    setMarkPrice,
    setWalletBalance,
    state: snapshot,
    requests: () => structuredClone(log),
    clearRequests: () => {
      log.length = 0;
    },
    close: () => sim.close(),
  };
}
