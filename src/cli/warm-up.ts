/**
 * What the server does right after it starts serving: sync the clock with
 * the exchange (every signed request needs it), and start the write path
 * only when there is work for it now. A journal entry a crash left open is
 * reconciled at once (whether or not any order follows); rules from another
 * directory are linted at once, so a bad set is logged before the first
 * order. Otherwise the write path loads with the first write or status
 * call, and an agent that only reads never pays for it (~4 MB of RSS).
 */
import type { Config } from "../config.js";
import type { ServerDeps } from "../server/deps.js";
import { Journal } from "../state/journal.js";
import { runtimePaths } from "../state/paths.js";
import { defaultRulesDir } from "../util/package-root.js";

/** Whether the write path should start with the server, rather than on first use. */
export function writePathAtStart(config: Config): boolean {
  // The shared database's journal is not read without connecting: start, as before.
  if (config.stateUrl !== null) return true;
  if (config.rulesDir !== defaultRulesDir()) return true;
  if (!config.brokerKey) return false;
  try {
    const journal = new Journal(runtimePaths(config.runtimeRoot, config.brokerKey));
    journal.refresh();
    return journal.openEntries().length > 0;
  } catch {
    // An unreadable journal: the write path says why, and refuses every order until it is fixed.
    return true;
  }
}

/** 20 ms after the client's opening message (or a second after start): the answer is not held up. */
export function warmUp(deps: ServerDeps, delayMs = 20): void {
  setTimeout(() => {
    if (deps.hasCredentials) void deps.client().then((c) => c.startClockSync()).catch((err: unknown) => deps.logger.error("clock sync failed", { error: err }));
    if (!writePathAtStart(deps.config)) return;
    void deps
      .trading()
      .then((t) => t.ruleSet())
      .catch((err: unknown) => deps.logger.error("warm-up failed", { error: err }));
  }, delayMs);
}
