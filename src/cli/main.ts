#!/usr/bin/env node
/**
 * bybit-mcp command line: parses the command words and hands the rest to the
 * command's module (loaded on demand, so `serve` starts without loading the
 * policy tooling). Exit codes: 0 ok, 1 a check failed, 2 bad usage/config.
 */
import { BybitMcpError } from "../errors.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

type Loader = () => Promise<CliCommand>;

const COMMANDS: Record<string, Loader> = {
  serve: async () => (await import("./serve.js")).serveCommand,
  sim: async () => (await import("./sim.js")).simCommand,
  demo: async () => (await import("./demo.js")).demoCommand,
  halt: async () => (await import("./halt.js")).haltCommand,
  unhalt: async () => (await import("./halt.js")).unhaltCommand,
  "mandate validate": async () => (await import("./mandate-validate.js")).mandateValidateCommand,
  "mandate status": async () => (await import("./mandate-status.js")).mandateStatusCommand,
  "mandate init": async () => (await import("./mandate-init.js")).mandateInitCommand,
  "mandate renew": async () => (await import("./mandate-renew.js")).mandateRenewCommand,
  "mandate show": async () => (await import("./mandate-show.js")).mandateShowCommand,
  rules: async () => (await import("./rules.js")).rulesCommand,
  audit: async () => (await import("./audit.js")).auditCommand,
  approvals: async () => (await import("./approvals.js")).approvalsCommand,
  approve: async () => (await import("./approvals.js")).approveCommand,
  reject: async () => (await import("./approvals.js")).rejectCommand,
  console: async () => (await import("./console.js")).consoleCommand,
};

export const USAGE = `Usage: bybit-mcp [command] [options]

  serve [--transport stdio|http] [--host H] [--port N]   MCP server (default: stdio)
  sim [--port N] [--state FILE] ...                      simulated Bybit v5 exchange
  demo                                                   a guided tour on the simulator
  halt [--broker bybit] --reason TEXT                    trip the kill switch
  unhalt [--broker bybit]                                clear the kill switch
  mandate init [flags] [--yes] [--replace]               commit a mandate (asks on a terminal)
  mandate renew [--days N] | mandate show                renew it / print it plainly
  mandate validate [FILE] | mandate status               check it / its live status
  rules test [DIR] | rules explain ... | rules lint      policy authors' tools
  audit tail [-n N] [--kind K] | audit verify            read / verify the ledger
  approvals [--all] [--json]                             paused orders waiting for you
  approve ID [--yes] | reject ID [--yes]                 let one paused order through once / refuse it
  console [--port 8003]                                  local web console (prints a login URL)

Run 'bybit-mcp <command> --help' for a command's options.
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, second] = argv;
  if (first === undefined) return run(COMMANDS.serve!, [], io);
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout(USAGE);
    return EXIT.OK;
  }
  if (first === "--version") {
    const { packageVersion } = await import("../util/package-root.js");
    io.stdout(`${packageVersion()}\n`);
    return EXIT.OK;
  }
  if (first === "mandate") {
    const loader = second ? COMMANDS[`mandate ${second}`] : undefined;
    if (!loader) {
      io.stderr("bybit-mcp mandate: expected 'init', 'renew', 'show', 'validate [FILE]' or 'status'\n");
      return EXIT.USAGE;
    }
    return run(loader, argv.slice(2), io);
  }
  const loader = COMMANDS[first];
  if (!loader) {
    io.stderr(`bybit-mcp: unknown command '${first}'; try 'bybit-mcp --help'\n`);
    return EXIT.USAGE;
  }
  return run(loader, argv.slice(1), io);
}

async function run(loader: Loader, argv: string[], io: CliIo): Promise<number> {
  try {
    return await (await loader())(argv, io);
  } catch (err) {
    if (err instanceof BybitMcpError && (err.code === "E_CONFIG" || err.code === "E_USAGE")) {
      io.stderr(`bybit-mcp: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr(`bybit-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.CHECK_FAILED;
  }
}

const io: CliIo = {
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

// Run when executed as the bin (not when imported by tests).
const invoked = process.argv[1] ?? "";
if (/(?:^|[\\/])(main\.js|bybit-mcp)$/.test(invoked)) {
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bybit-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.CHECK_FAILED;
    },
  );
}
