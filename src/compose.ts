/**
 * The composition root of the write path: the file-backed stores under the
 * runtime root, the system clock, and the service they are handed to. The
 * CLI, the library API and the tests build a TradingService here.
 */
import type { BybitClient } from "./bybit/client.js";
import { configSecrets, type Config } from "./config.js";
import type { Logger } from "./log.js";
import { runtimePaths } from "./state/index.js";
import { TradingService, type TradingOptions } from "./trading/service.js";
import { fileStores, type Clock, type Stores } from "./trading/stores.js";

/** The file stores for a config; an invalid broker key gets no broker paths (every write refused) but is still audited. */
export function storesFor(config: Config): Stores {
  const paths = config.brokerKey ? runtimePaths(config.runtimeRoot, config.brokerKey) : null;
  // The ledger lives at live/audit.jsonl whatever the broker.
  const ledgerPaths = paths ?? runtimePaths(config.runtimeRoot, "invalid-broker-key");
  return fileStores(paths, ledgerPaths, configSecrets(config), { approvalTtlMs: config.approvalTtlMs });
}

export function createTradingService(
  deps: { config: Config; client: BybitClient; logger: Logger; stores?: Stores; clock?: Clock },
  opts: TradingOptions = {},
): TradingService {
  const stores = deps.stores ?? storesFor(deps.config);
  return new TradingService({ ...deps, stores }, { crashAt: deps.config.crashAt ?? undefined, ...opts });
}
