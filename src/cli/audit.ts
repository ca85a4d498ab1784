/**
 * `bybit-mcp audit tail|verify`: read and check the live-action ledger
 * shared with Vibe-Trading. The runtime root comes from VIBE_RUNTIME_ROOT /
 * VIBE_TRADING_HOME (default ~/.vibe-trading) and the broker from
 * BYBIT_BROKER_KEY (default "bybit"). Read-only: never writes a file.
 */
import { BybitMcpError, UsageError, errorMessage } from "../errors.js";
import { loadConfig } from "../config.js";
import { AUDIT_KINDS, normalizeBrokerKey } from "../state/index.js";
import { cliState, type CliState } from "./state.js";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { archiveSegments, verifyChainFiles } from "../state/chain.js";
import { intOption, parse } from "./args.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

const HELP = `Usage: bybit-mcp audit tail [-n N] [--kind K]
       bybit-mcp audit verify
       bybit-mcp audit export --to DIR

  tail     print the last N records of live/audit.jsonl as JSON lines, oldest
           first (default 20); --kind keeps one kind (${AUDIT_KINDS.join(", ")})
  verify   walk the hash chain in live/audit_chain.jsonl (and sealed
           audit_chain.NNNN.jsonl segments) and check it still holds the tip
           this server last wrote (live/.audit_chain_tip.json), so a chain cut
           back or rewritten is caught; exit 0 if intact, 1 with the first
           broken seq, the file and why
  export   write DIR/audit.jsonl and DIR/audit_chain.jsonl in Vibe-Trading's
           formats (with BYBIT_MCP_STATE=postgres://…, from the shared ledger;
           with files, a copy of live/), then verify the copy's chain

With BYBIT_MCP_STATE=postgres://… tail and verify read the shared ledger.

Files live under VIBE_RUNTIME_ROOT, else VIBE_TRADING_HOME, else ~/.vibe-trading.
`;

export const auditCommand: CliCommand = async (argv, io) => {
  const [sub, ...rest] = argv;
  try {
    if (sub === "--help" || sub === "-h" || sub === "help") {
      io.stdout(HELP);
      return EXIT.OK;
    }
    if (sub === "tail") return await withState(io, (s) => tail(rest, io, s));
    if (sub === "verify") return await withState(io, (s) => verify(rest, io, s));
    if (sub === "export") return await withState(io, (s) => exportLedger(rest, io, s));
    throw new UsageError(sub === undefined ? "audit: expected 'tail', 'verify' or 'export'" : `audit: unknown subcommand '${sub}'; expected 'tail', 'verify' or 'export'`);
  } catch (err) {
    if (err instanceof BybitMcpError && (err.code === "E_USAGE" || err.code === "E_CONFIG")) {
      io.stderr(`bybit-mcp: ${err.message}\n`);
      return EXIT.USAGE;
    }
    io.stderr(`bybit-mcp: ${errorMessage(err)}\n`);
    return EXIT.CHECK_FAILED;
  }
};

async function tail(argv: string[], io: CliIo, state: CliState): Promise<number> {
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
  const lines = await state.ledger.tailLines(n, kind);
  io.stdout(lines.map((line) => `${line}\n`).join(""));
  return EXIT.OK;
}

async function verify(argv: string[], io: CliIo, state: CliState): Promise<number> {
  const { values, positionals } = parse("audit verify", argv, {}, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`audit verify: unexpected argument '${positionals[0]}'`);
  const result = await state.ledger.verify();
  if (result.ok) {
    io.stdout(`chain ok: ${result.records} records\n`);
    return EXIT.OK;
  }
  const where = result.file === undefined ? "" : ` (${result.file}${result.line === undefined ? "" : `:${result.line}`})`;
  io.stderr(`chain broken at seq ${result.brokenAtSeq}${where}: ${result.reason}; ${result.records} records verified before it\n`);
  return EXIT.CHECK_FAILED;
}

async function exportLedger(argv: string[], io: CliIo, state: CliState): Promise<number> {
  const { values, positionals } = parse("audit export", argv, { to: { type: "string" } }, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.OK;
  }
  if (positionals.length > 0) throw new UsageError(`audit export: unexpected argument '${positionals[0]}'`);
  if (!values.to) throw new UsageError("audit export: --to DIR is required");
  const dir = resolve(values.to);
  for (const f of ["audit.jsonl", "audit_chain.jsonl"]) {
    if (existsSync(join(dir, f))) throw new UsageError(`audit export: ${join(dir, f)} already exists; choose an empty directory`);
  }
  let records: number;
  if (state.pg) records = await state.pg.exportLedger(dir);
  else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    copyFileSync(state.paths.audit, join(dir, "audit.jsonl"));
    // Sealed segments too (audit_chain.0001.jsonl …): the active file continues from them.
    const chains = [...archiveSegments(state.paths.auditChain), state.paths.auditChain];
    for (const f of chains) copyFileSync(f, join(dir, basename(f)));
    records = chains.reduce((n, f) => n + readFileSync(f, "utf8").split("\n").filter((l) => l.trim() !== "").length, 0);
  }
  const check = verifyChainFiles(join(dir, "audit_chain.jsonl"));
  if (!check.ok) {
    io.stderr(`exported ${records} records to ${dir}, but the copy's chain is broken at seq ${check.break?.seq}: ${check.break?.reason}\n`);
    return EXIT.CHECK_FAILED;
  }
  io.stdout(`exported ${records} records to ${join(dir, "audit.jsonl")} and ${join(dir, "audit_chain.jsonl")}; chain ok\n`);
  return EXIT.OK;
}

/** The ledger of BYBIT_BROKER_KEY (default "bybit") in the configured backend. */
async function withState(io: CliIo, fn: (s: CliState) => Promise<number>): Promise<number> {
  const config = loadConfig(io.env);
  const raw = io.env.BYBIT_BROKER_KEY ?? "bybit";
  const broker = normalizeBrokerKey(raw);
  if (broker === null) throw new UsageError(`audit: BYBIT_BROKER_KEY ${JSON.stringify(raw)} is not a valid broker key`);
  const state = await cliState(config, broker);
  try {
    return await fn(state);
  } finally {
    await state.close();
  }
}
