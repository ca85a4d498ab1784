/**
 * `bybit-mcp approvals`, `approve ID`, `reject ID`: a person's side of a
 * paused order. The agent can only ask; these commands (and the console)
 * are the only way a request becomes approved, and they are never reachable
 * through MCP. approve/reject show the order and the breach in words and
 * ask on a terminal; --yes is for a person scripting it, and without either
 * nothing is decided. Nothing is appended to the ledger here: the order's
 * own record carries approval_id when the retry uses it. Each verdict is
 * logged to stderr.
 */
import { configSecrets, loadConfig, type Config } from "../config.js";
import { ApprovalError, ConfigError, UsageError } from "../errors.js";
import { createLogger } from "../log.js";
import type { ApprovalRequest, ApprovalsStore, ApprovalStatus } from "../state/approvals.js";
import { cliState } from "./state.js";
import { redact } from "../state/redact.js";
import { parse } from "./args.js";
import { confirm, interactive, terminalPrompter } from "./prompt.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

const LIST_HELP = `Usage: bybit-mcp approvals [--all] [--json]

Lists the approval requests of the configured broker: orders the gate paused
over a quantitative cap, waiting for a person. Pending ones by default, each
with its id, the order and the breach in words, and when it expires.

  --all    every request kept, with its final status (approved, rejected,
           consumed, expired)
  --json   the requests as a JSON array, newest first

Decide one with 'bybit-mcp approve ID' or 'bybit-mcp reject ID'.
`;

const decideHelp = (verb: "approve" | "reject") => `Usage: bybit-mcp ${verb} ID [--yes] [--note TEXT]

${
  verb === "approve"
    ? `Approves one paused order: the agent's identical retry with approval_id ID
then goes through once, up to the values shown plus the price tolerance,
until the request expires. The halt, expiry and structural rules still apply.`
    : `Rejects one paused order: a retry with approval_id ID is refused.`
}

Shows the order and the breach in plain words and asks on a terminal.

  --yes        decide without asking (for a person scripting it)
  --note TEXT  a short note kept with the decision

Exit 0 decided, 1 unknown, already decided, used or expired id (or not
confirmed), 2 bad usage (no terminal and no --yes).
`;

interface Context {
  config: Config;
  store: ApprovalsStore;
}

/** The approvals of the configured broker, in the files or the shared database (BYBIT_MCP_STATE). */
async function withContext(command: string, io: CliIo, fn: (ctx: Context) => Promise<number>): Promise<number> {
  const config = loadConfig(io.env);
  if (config.brokerKey === null) throw new ConfigError(`${command}: BYBIT_BROKER_KEY "${config.brokerKeyRaw}" is not a valid broker key`, "BYBIT_BROKER_KEY");
  const state = await cliState(config, config.brokerKey);
  try {
    return await fn({ config, store: state.approvals });
  } finally {
    await state.close();
  }
}

export const approvalsCommand: CliCommand = async (argv, io) => {
  const { values } = parse("approvals", argv, { all: { type: "boolean" }, json: { type: "boolean" } });
  if (values.help) {
    io.stdout(LIST_HELP);
    return EXIT.OK;
  }
  return withContext("approvals", io, async ({ config, store }) => {
  const list = await store.list(values.all ? {} : { status: "pending" });
  if (values.json) {
    io.stdout(`${JSON.stringify(list, null, 2)}\n`);
    return EXIT.OK;
  }
  if (list.length === 0) {
    io.stdout(values.all ? `no approval requests for broker ${config.brokerKey}\n` : `no pending approval requests for broker ${config.brokerKey}\n`);
    return EXIT.OK;
  }
  const now = Date.now();
  io.stdout(list.map((r) => summary(r, now).join("\n")).join("\n\n") + "\n");
  return EXIT.OK;
  });
};

export const approveCommand: CliCommand = (argv, io) => decideCommand("approve", argv, io);
export const rejectCommand: CliCommand = (argv, io) => decideCommand("reject", argv, io);

async function decideCommand(verb: "approve" | "reject", argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(verb, argv, { yes: { type: "boolean" }, note: { type: "string" } }, true);
  if (values.help) {
    io.stdout(decideHelp(verb));
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw new UsageError(`${verb}: expected one approval id (see 'bybit-mcp approvals'), got ${positionals.length}`);
  const id = positionals[0]!;
  if (!values.yes && !interactive()) {
    throw new UsageError(`${verb}: no terminal to ask on; pass --yes to ${verb} ${id} without being asked`);
  }
  return withContext(verb, io, async ({ config, store }) => {
  const request = await store.get(id);
  const problem = undecidable(id, request, config.brokerKey!);
  if (problem) {
    io.stderr(`${verb}: ${problem}\n`);
    return EXIT.CHECK_FAILED;
  }
  const r = request!;
  const now = Date.now();
  const shown = [`Approval request ${r.id} (broker ${r.broker})`, ...details(r, now), ""].join("\n");
  if (!values.yes) {
    const p = terminalPrompter();
    let yes: boolean;
    try {
      p.say(`${shown}\n`);
      yes = await confirm(p, verb === "approve" ? "Approve this one order?" : "Reject this order?");
    } finally {
      p.close();
    }
    if (!yes) {
      io.stderr(`${verb}: not confirmed; ${r.id} is still pending\n`);
      return EXIT.CHECK_FAILED;
    }
  } else io.stdout(shown);

  let decided: ApprovalRequest;
  try {
    decided = await store.decide(r.id, verb === "approve" ? "approved" : "rejected", "cli", values.note, r.order_hash);
  } catch (err) {
    if (!(err instanceof ApprovalError)) throw err;
    io.stderr(`${verb}: ${err.message}\n`);
    return EXIT.CHECK_FAILED;
  }
  const secrets = configSecrets(config);
  createLogger({ level: config.logLevel, write: io.stderr, scrub: (rec) => redact(rec, secrets).value }).info(`approval ${decided.status}`, {
    approval_id: decided.id,
    status: decided.status,
    decided_by: "cli",
    decision_id: decided.decision_id,
    order_hash: decided.order_hash,
    broker: decided.broker,
  });
  io.stdout(
    decided.status === "approved"
      ? `approved ${decided.id}: the identical order retried with approval_id ${decided.id} goes through once, until ${decided.expires_at}\n`
      : `rejected ${decided.id}: a retry with it is refused\n`,
  );
  return EXIT.OK;
  });
}

/** Why this request cannot be decided, in one sentence; null when it can. */
function undecidable(id: string, r: ApprovalRequest | null, broker: string): string | null {
  if (r === null) return `there is no approval request ${JSON.stringify(id)} for broker ${broker} (see 'bybit-mcp approvals')`;
  if (r.status === "pending") return null;
  if (r.status === "expired") return `${r.id} expired at ${r.expires_at}; the agent's retry will pause again with a new request`;
  if (r.status === "consumed") return `${r.id} was already used${r.consumed_by ? ` by ${r.consumed_by}` : ""} at ${r.consumed_at ?? "an unknown time"}`;
  return `${r.id} was already ${r.status}${r.decided_by ? ` (${r.decided_by}, ${r.decided_at ?? "unknown time"})` : ""}`;
}

/** A few plain lines for the list. */
function summary(r: ApprovalRequest, now: number): string[] {
  const lines = [`${r.id}  ${statusText(r, now)}`, `  order:   ${r.intent_normalized}`, ...breachLines(r, "  breach:  ")];
  if (r.status === "pending") lines.push(`  decide:  bybit-mcp approve ${r.id}   (or reject)`);
  return lines;
}

/** What approve/reject shows before asking. */
function details(r: ApprovalRequest, now: number): string[] {
  return [
    `  order:      ${r.intent_normalized}`,
    `  request:    ${requestText(r)}`,
    ...breachLines(r, "  breach:     "),
    `  allows:     this one order, up to the values above plus ${r.price_tolerance_pct}% for the price moving; more pauses again`,
    `  expires:    ${untilText(r, now)} (${r.expires_at})`,
    `  paused by:  ${r.decision_id}, ${r.created_at}`,
  ];
}

function breachLines(r: ApprovalRequest, lead: string): string[] {
  const pad = " ".repeat(lead.length);
  return r.breaches.map((b, i) => `${i === 0 ? lead : pad}${b.detail || `${b.limit}: ${String(b.attempted_value)} over ${String(b.limit_value)}`}`);
}

/** "bybit_place_order: linear BTCUSDT Buy Market qty 0.0125 price 50000" — the exact body, in reading order. */
function requestText(r: ApprovalRequest): string {
  const b = r.order.body;
  const known = ["category", "symbol", "side", "orderType"].filter((k) => b[k] !== undefined).map((k) => String(b[k]));
  const rest = Object.entries(b)
    .filter(([k]) => !["category", "symbol", "side", "orderType"].includes(k))
    .map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `${r.order.remote_tool}: ${[...known, ...rest].join(" ")}`;
}

function statusText(r: ApprovalRequest, now: number): string {
  const st: ApprovalStatus = r.status;
  if (st === "pending" || st === "approved") return `${st}, ${expiryText(r, now)}`;
  if (st === "expired") return `expired at ${r.expires_at}`;
  if (st === "consumed") return `consumed by ${r.consumed_by ?? "?"} at ${r.consumed_at ?? "?"}`;
  return `rejected (${r.decided_by ?? "?"}, ${r.decided_at ?? "?"})`;
}

/** "expires in 9 min", "expired 3 min ago". */
function expiryText(r: ApprovalRequest, now: number): string {
  const until = untilText(r, now);
  return until.startsWith("in ") ? `expires ${until}` : `expired ${until}`;
}

/** "in 9 min" (rounded up: a request with seconds left is not shown as 0), or "3 min ago". */
function untilText(r: ApprovalRequest, now: number): string {
  const left = Date.parse(r.expires_at) - now;
  return left > 0 ? `in ${Math.ceil(left / 60_000)} min` : `${Math.floor(-left / 60_000)} min ago`;
}
