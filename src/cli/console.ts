/**
 * `bybit-mcp console [--host 127.0.0.1] [--port 8003]`: the local web
 * console. Wires the console to the same state the CLI and the server use
 * (cliState: the runtime root's files, or the shared PostgreSQL state when
 * BYBIT_MCP_STATE is postgres://) and prints a one-time login URL on
 * stderr, Jupyter-style; each login prints the next one. Loopback only.
 */
import { clientFor } from "../bybit/client.js";
import { configSecrets, loadConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { loadRuleSetOrError } from "../state/rules-files.js";
import { createLogger } from "../log.js";
import { redact } from "../state/redact.js";
import { environmentOf } from "../environment.js";
import { startConsole } from "../console/server.js";
import { consoleStatus } from "../console/status.js";
import { intOption, parse } from "./args.js";
import { cliState } from "./state.js";
import { EXIT, type CliCommand } from "./types.js";

const HELP = `Usage: bybit-mcp console [--host 127.0.0.1] [--port 8003]

A local web console for the person behind the agent: the environment
(mainnet / testnet / demo / simulator / custom URL) on every page, the
mandate with gauges for its headroom, the approvals inbox, halt and
unhalt, the ledger timeline, and a commit/renew form.

It listens on loopback only and prints a one-time login URL here on
stderr; open it in your browser. Each URL works once; after a login the
next one is printed. --port 0 picks a free port. It reads the same state
as the CLI (VIBE_RUNTIME_ROOT, BYBIT_BROKER_KEY; the shared PostgreSQL
state when BYBIT_MCP_STATE is a postgres:// URL); with BYBIT_API_KEY set
it also reads positions to show exposure. Stop it with Ctrl-C.
`;

export const consoleCommand: CliCommand = async (argv, io) => {
  const { values } = parse("console", argv, { host: { type: "string" }, port: { type: "string" } });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  const host = values.host ?? "127.0.0.1";
  const port = intOption("console", "port", values.port, 8003, 0, 65_535);
  const config = loadConfig(io.env);
  if (config.brokerKey === null) throw new ConfigError(`console: BYBIT_BROKER_KEY "${config.brokerKeyRaw}" is not a valid broker key`, "BYBIT_BROKER_KEY");
  const secrets = configSecrets(config);
  const logger = createLogger({ level: config.logLevel, write: (l) => io.stderr(l), scrub: (r) => redact(r, secrets).value });
  const state = await cliState(config, config.brokerKey);
  const client = clientFor(config, logger);
  let rules: ReturnType<typeof loadRuleSetOrError> | undefined;
  try {
    const handle = await startConsole({
      host,
      port,
      deps: {
        config,
        state,
        environment: environmentOf(config),
        // The rules are compiled once, on the first page that needs them.
        status: () => consoleStatus({ config, state, client, ruleSet: (rules ??= loadRuleSetOrError(config.rulesDir)), nowMs: Date.now() }),
        logger,
        nowMs: Date.now,
      },
    });
    handle.onLogin = () => io.stderr(`bybit-mcp console: logged in. For another browser, open:\n    ${handle.loginUrl()}\n`);
    const stateLine = state.pg ? `  Shared state: ${state.pg.opts.safeUrl}\n` : "";
    io.stderr(`bybit-mcp console for broker ${state.broker} (${config.baseUrl}) on ${handle.origin}\n${stateLine}  Open this one-time login URL in your browser:\n    ${handle.loginUrl()}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await handle.close();
  } finally {
    await client.close();
    await state.close();
  }
  return EXIT.OK;
};
