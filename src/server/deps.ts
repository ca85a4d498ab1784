/**
 * What tools are handed: the frozen config, the logger, and lazily built
 * exchange client and write path (gate + state + ledger). They load on first
 * use, so `initialize` is answered before undici, ajv or the rules are loaded.
 */
import type { BybitClient } from "../bybit/client.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { TradingService } from "../trading/service.js";

export interface ServerDeps {
  config: Config;
  logger: Logger;
  /** True when BYBIT_API_KEY and BYBIT_API_SECRET are both set. */
  hasCredentials: boolean;
  client(): Promise<BybitClient>;
  trading(): Promise<TradingService>;
  /** From now on nothing more is sent: calls not yet on the wire are refused and recorded as not sent. */
  stopSending(): Promise<void>;
  /** Close what was opened (the client's connection pool). */
  close(): Promise<void>;
}
