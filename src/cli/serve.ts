/**
 * `bybit-mcp serve`: load config, wire deps, serve MCP on stdio or HTTP.
 * The exchange client and the write path load on first use (warm-up.ts says
 * what starts right after the client initializes), so start-up stays light.
 */
import { setFlagsFromString } from "node:v8";
import type { BybitClient } from "../bybit/client.js";
import { configSecrets, loadConfig, type Config } from "../config.js";
import { UsageError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import { createServer, toolCallsSettled } from "../server/create-server.js";
import type { ServerDeps } from "../server/deps.js";
import { writesSettled } from "../state/pending-writes.js";
import { redact } from "../state/redact.js";
import type { TradingService } from "../trading/service.js";
import { intOption, parse } from "./args.js";
import { warmUp } from "./warm-up.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp serve [--transport stdio|http] [--host 127.0.0.1] [--port 8001]

Serves the MCP tools. stdio (default): protocol on stdout, JSON logs on stderr.
http: Streamable HTTP at /mcp; a non-loopback --host needs BYBIT_MCP_HTTP_TOKEN.
Environment: see README (BYBIT_API_KEY, BYBIT_API_SECRET, BYBIT_BASE_URL, ...).
`;

/** Build everything a server needs from a validated config; heavy parts load on first use. */
export function buildDeps(config: Config, logger: Logger): ServerDeps {
  let client: Promise<BybitClient> | undefined;
  let trading: Promise<TradingService> | undefined;
  let built: TradingService | undefined;
  let stopped = false;
  const getClient = () =>
    (client ??= import("../bybit/client.js").then(({ clientFor }) => clientFor(config, logger)));
  const getTrading = () =>
    (trading ??= Promise.all([import("../compose.js"), getClient()]).then(([{ createTradingService }, c]) => {
      const service = createTradingService({ config, client: c, logger });
      built = service;
      if (stopped) service.stopSending();
      void service.start();
      return service;
    }));
  return {
    config,
    logger,
    hasCredentials: config.apiKey !== "" && config.apiSecret !== "",
    client: getClient,
    trading: getTrading,
    // Never waits for the write path to load: one still loading is told when it is built.
    stopSending: async () => {
      stopped = true;
      built?.stopSending();
    },
    close: async () => {
      // Calls not yet on the wire are refused as "not sent"; those sent are recorded before the pool closes.
      if (trading) await (await trading).shutdown();
      if (client) await (await client).close();
    },
  };
}

export function makeLogger(config: Config): Logger {
  const secrets = configSecrets(config);
  return createLogger({ level: config.logLevel, scrub: (r) => redact(r, secrets).value });
}

/**
 * V8 heap sizing for a long-running server, set before the heap grows. Much of
 * its peak RSS was garbage V8 let accumulate, not live data (~26 MB live after
 * a forced GC against ~150 MB resident after a burst of orders). The young
 * generation doubles its semi-spaces, up to 16 MB each, whenever scavenges see
 * objects survive, and keeps the pages while busy; a growth factor of 1 keeps
 * them at their initial 1 MB. Measured on `npm run bench`: peak RSS after 210
 * orders ~120 -> ~100 MB, after the 600-order burst ~150 -> ~122 MB, CPU per
 * order and orders/s within the noise. V8 reads this flag as it runs, so
 * setting it here works, without a re-exec or NODE_OPTIONS (a
 * `--max-semi-space-size` set here would not: V8 reads that once, at start).
 * `--optimize-for-size` would take another ~20 MB off the peak but cost ~30%
 * of the burst's orders/s, so it is not set.
 *
 * The old generation: after each full GC V8 lets it grow by a factor it picks
 * from the allocation rate, up to 4x the live heap, and the live heap here is
 * ~16 MB (heap snapshots after 300 and 3,000 reads). A fixed 25% instead:
 * peak RSS after 3,000 reads ~91 -> ~79 MB, after the 600-order burst
 * ~121-131 -> ~98-108 MB, at ~0.5 ms more CPU per order and ~15% fewer
 * orders/s in the burst (~500/s, against a target of 300). V8 reads it at
 * every GC, so it too takes effect here.
 */
const HEAP_FLAGS = "--semi-space-growth-factor=1 --heap-growing-percent=25";

export const serveCommand: CliCommand = async (argv, io) => {
  setFlagsFromString(HEAP_FLAGS);
  const { values } = parse("serve", argv, {
    transport: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
  });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  const transport = values.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http") throw new UsageError(`serve: --transport must be stdio or http, not "${transport}"`);
  const config = loadConfig(io.env);
  const logger = makeLogger(config);
  const deps = buildDeps(config, logger);
  if (transport === "stdio") {
    const { serveStdio } = await import("../server/stdio.js");
    let warm = false;
    logger.info("serving on stdio", { baseUrl: config.baseUrl, broker: config.brokerKey, session: config.sessionId });
    // The factory runs when the opening message (initialize, or a 2026 request) arrives; the
    // warm-up waits 20 ms past it, so the answer is not held up.
    const newServer = () => {
      if (!warm) {
        warm = true;
        warmUp(deps);
      }
      return createServer(deps).server;
    };
    // The client is gone: nothing more is sent (a call still deciding is recorded as not sent), and
    // what is already on the wire finishes and gets its ledger record.
    const drain = async () => {
      await deps.stopSending();
      await toolCallsSettled();
      // The chain tip file is written behind each ledger append; process.exit below would cut it.
      await writesSettled();
    };
    // A 2026-07-28 client sends nothing until its first request: the write path still starts
    // soon after the process does, so a journal entry a crash left open is reconciled on restart.
    setTimeout(() => {
      if (!warm) {
        warm = true;
        warmUp(deps);
      }
    }, 1000).unref();
    await serveStdio(newServer, drain, (err) => logger.warn("mcp transport error", { error: err }));
    // The client is gone and every tool call has finished (a sent order has its ledger record). What
    // could still hold the event loop is background work only: the warm-up (loading the write path,
    // compiling the rules), the first clock sync, idle keep-alive sockets. Waiting for it cost
    // 200-800 ms per exit; a client closing stdin expects the process gone at once.
    void deps.close().catch(() => {});
    process.exit(EXIT.OK);
  }
  const { serveHttp } = await import("../server/http.js");
  const host = values.host ?? config.httpHost;
  const port = intOption("serve", "port", values.port, config.httpPort, 1, 65_535);
  const http = await serveHttp({ host, port, token: config.httpToken, logger, newServer: () => createServer(deps).server });
  warmUp(deps);
  logger.info("serving Streamable HTTP", { url: http.url });
  io.stderr(`bybit-mcp: listening on ${http.url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await deps.stopSending();
  await http.close();
  await deps.close();
  return EXIT.OK;
};
