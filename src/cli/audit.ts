/**
 * `bybit-mcp audit tail|verify`: read and check the live-action ledger
 * shared with Vibe-Trading. The runtime root comes from VIBE_RUNTIME_ROOT /
 * VIBE_TRADING_HOME (default ~/.vibe-trading) and the broker from
 * BYBIT_BROKER_KEY (default "bybit"). Read-only: never writes a file.
 */
import { BybitMcpError, UsageError } from "../errors.js";
import { AUDIT_KINDS, AuditLedger, normalizeBrokerKey, resolveRuntimeRoot, runtimePaths, type RuntimePaths } from "../state/index.js";
import { intOption, parse } from "./args.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

const HELP = `Usage: bybit-mcp audit tail [-n N] [--kind K]
       bybit-mcp audit verify

  tail     print the last N records of live/audit.jsonl as JSON lines, oldest
           first (default 20); --kind keeps one kind (${AUDIT_KINDS.join(", ")})
  verify   walk the hash chain in live/audit_chain.jsonl (and sealed
           audit_chain.NNNN.jsonl segments) and check it still holds the tip
           this server last wrote (live/.audit_chain_tip.json), so a chain cut
           back or rewritten is caught; exit 0 if intact, 1 with the first
           broken seq, the file and why

Files live under VIBE_RUNTIME_ROOT, else VIBE_TRADING_HOME, else ~/.vibe-trading.
`;

export const auditCommand: CliCommand = async (argv, io) => {
  const [sub, ...rest] = argv;
  try {
    if (sub === "--help" || sub === "-h" || sub === "help") {
      io.stdout(HELP);
      return EXIT.OK;
    }
    if (sub === "tail") return tail(rest, io);
    if (sub === "verify") return verify(rest, io);
    throw new UsageError(sub === undefined ? "audit: expected 'tail' or 'verify'" : `audit: unknown subcommand '${sub}'; expected 'tail' or 'verify'`);
  } catch (err) {
    if (err instanceof BybitMcpError && (err.code === "E_USAGE" || err.code === "E_CONFIG")) {
      io.stderr(`bybit-mcp: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr(`bybit-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.CHECK_FAILED;
  }
};

function tail(argv: string[], io: CliIo): number {
  const { values, positionals } = parse("audit tail", argv, { n: { type: "string", short: "n" }, kind: { type: "string" } }, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`audit tail: unexpected argument '${positionals[0]}'`);
  const n = intOption("audit tail", "n", values.n, 20, 1, 1_000_000);
  const kind = values.kind;
  if (kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`audit tail: --kind must be one of ${AUDIT_KINDS.join(", ")}, not "${kind}"`);
  }
  const lines = new AuditLedger(pathsFromEnv(io.env)).tailLines(n, kind);
  io.stdout(lines.map((line) => `${line}\n`).join(""));
  return EXIT.OK;
}

function verify(argv: string[], io: CliIo): number {
  const { values, positionals } = parse("audit verify", argv, {}, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`audit verify: unexpected argument '${positionals[0]}'`);
  const result = new AuditLedger(pathsFromEnv(io.env)).verify();
  if (result.ok) {
    io.stdout(`chain ok: ${result.records} records\n`);
    return EXIT.OK;
  }
  const where = result.file === undefined ? "" : ` (${result.file}${result.line === undefined ? "" : `:${result.line}`})`;
  io.stderr(`chain broken at seq ${result.brokenAtSeq}${where}: ${result.reason}; ${result.records} records verified before it\n`);
  return EXIT.CHECK_FAILED;
}

function pathsFromEnv(env: NodeJS.ProcessEnv): RuntimePaths {
  const raw = env.BYBIT_BROKER_KEY ?? "bybit";
  const broker = normalizeBrokerKey(raw);
  if (broker === null) throw new UsageError(`audit: BYBIT_BROKER_KEY ${JSON.stringify(raw)} is not a valid broker key`);
  return runtimePaths(resolveRuntimeRoot(env), broker);
}
