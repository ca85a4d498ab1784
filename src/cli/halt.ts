/**
 * `bybit-mcp halt` / `unhalt`: the kill switch, a privileged action that is
 * never an MCP tool. halt trips the HALT file first (that alone stops every
 * new order, here and in Vibe-Trading), then cancels resting orders, and
 * when the mandate says flatten_on_halt closes positions with reduce-only
 * market orders. Every action is audited.
 */
import { clientFor, type BybitClient } from "../bybit/client.js";
import { loadConfig, type Config } from "../config.js";
import { ConfigError, LockError, UsageError, errorMessage } from "../errors.js";
import { isProtectiveOrder, protectionOf } from "../gate/protective.js";
import type { OrderRow, PositionRow } from "../gate/types.js";
import { normalizeBrokerKey } from "../state/index.js";
import { cliState, type CliState } from "./state.js";
import { fetchRows, ORDER_SCOPES, POSITION_SCOPES } from "../trading/gather.js";
import { newOrderLinkId } from "../trading/normalize.js";
import { parse } from "./args.js";
import { EXIT, type CliCommand, type CliIo } from "./types.js";

const HALT_HELP = `Usage: bybit-mcp halt [--broker bybit | --global] --reason TEXT [--no-cancel]

Trips the kill switch: live/<broker>/HALT (or live/HALT with --global). Every
new order is then refused, here and in Vibe-Trading. Then cancels resting
entry orders (reduce-only, TP/SL and stop orders stay, protecting the open
positions) and, if the mandate has flatten_on_halt: true, cancels those too and
closes positions with reduce-only market orders. Every action is audited.
`;
const UNHALT_HELP = `Usage: bybit-mcp unhalt [--broker bybit | --global]

Clears the kill switch (the per-broker HALT, or the global one with --global).
`;

async function setup(command: string, values: { broker?: string; global?: boolean }, io: CliIo): Promise<{ config: Config; state: CliState; broker: string }> {
  const config = loadConfig(io.env);
  const raw = values.broker ?? config.brokerKeyRaw;
  const broker = normalizeBrokerKey(raw);
  if (!broker) throw new ConfigError(`${command}: "${raw}" is not a valid broker key`, values.broker ? "--broker" : "BYBIT_BROKER_KEY");
  return { config, state: await cliState(config, broker), broker };
}

type Ledger = CliState["ledger"];

type Kind = "halt_tripped" | "halt_cleared" | "order_cancelled" | "order_placed" | "order_rejected";
interface Entry {
  intent: string;
  request?: unknown;
  response?: unknown;
  outcome: "accepted" | "rejected" | "error" | "pending";
  error?: string | null;
  extra?: Record<string, unknown>;
}

/**
 * Audit one halt action, best effort: a ledger that cannot be written must
 * not stop the cancels and closes (they reduce risk). Returns false and says
 * so on stderr when the record could not be written.
 */
async function tryRecord(ledger: Ledger, config: Config, io: CliIo, kind: Kind, o: Entry): Promise<boolean> {
  try {
    await record(ledger, config, kind, o);
    return true;
  } catch (err) {
    io.stderr(`halt: could not audit "${o.intent}": ${errorMessage(err)}\n`);
    return false;
  }
}

function record(ledger: Ledger, config: Config, kind: Kind, o: Entry) {
  return ledger.append({
    kind,
    session_id: config.sessionId,
    intent_normalized: o.intent,
    mandate_snapshot_ref: null,
    consent_record_ref: null,
    broker_request: o.request ?? null,
    broker_response: o.response ?? null,
    outcome: o.outcome,
    gate_decision: null,
    server: config.brokerKey ?? config.brokerKeyRaw,
    remote_tool: "cli",
    error: o.error ?? null,
    extra: o.extra,
  });
}

export const haltCommand: CliCommand = async (argv, io) => {
  const { values } = parse("halt", argv, {
    broker: { type: "string" },
    global: { type: "boolean" },
    reason: { type: "string" },
    "no-cancel": { type: "boolean" },
  });
  if (values.help) {
    io.stdout(HALT_HELP);
    return EXIT.OK;
  }
  if (!values.reason?.trim()) throw new UsageError("halt: --reason TEXT is required");
  const { config, state, broker } = await setup("halt", values, io);
  try {
    return await halt(config, state, broker, values.global ? "global" : "broker", values.reason.trim(), values["no-cancel"] === true, io);
  } finally {
    await state.close();
  }
};

async function halt(config: Config, state: CliState, broker: string, scope: "global" | "broker", reason: string, noCancel: boolean, io: CliIo): Promise<number> {
  await state.halt.trip(scope, "cli", reason);
  const ledger = state.ledger;
  let failures = (await tryRecord(ledger, config, io, "halt_tripped", { intent: `halt ${scope === "global" ? "all brokers" : broker}: ${reason}`, outcome: "accepted", extra: { scope, broker } })) ? 0 : 1;
  io.stdout(`halted (${scope === "global" ? "global" : `broker ${broker}`}): ${state.where.halt(scope)}\n`);
  if (noCancel) return failures === 0 ? EXIT.OK : EXIT.CHECK_FAILED;
  if (!config.apiKey) {
    io.stderr("halt: no BYBIT_API_KEY, so resting orders were not cancelled and positions not closed; the HALT file still stops new orders\n");
    return EXIT.CHECK_FAILED;
  }
  const mandate = await state.mandate.load().catch(() => null);
  const flatten = mandate?.ok === true && mandate.mandate.flatten_on_halt === true;
  const client = clientFor(config);
  try {
    // Wait for any order batch already past its HALT check to finish, so nothing it sends
    // survives the listing below. HALT is set, so no new batch can start meanwhile.
    failures += await state.lock.run(30_000, () => cancelAndFlatten(client, ledger, config, flatten, io)).catch(async (err: unknown) => {
      if (!(err instanceof LockError)) throw err;
      io.stderr(`halt: ${err.message}; cancelling without the order lock\n`);
      return cancelAndFlatten(client, ledger, config, flatten, io);
    });
    return failures === 0 ? EXIT.OK : EXIT.CHECK_FAILED;
  } finally {
    await client.close();
  }
}

async function cancelAndFlatten(client: BybitClient, ledger: Ledger, config: Config, flatten: boolean, io: CliIo): Promise<number> {
  let failures = 0;
  const orders = await fetchRows<OrderRow>(client, "/v5/order/realtime", ORDER_SCOPES);
  if (!orders.value) {
    io.stderr(`halt: could not list resting orders: ${orders.error}\n`);
    failures++;
  }
  for (const o of orders.value ?? []) {
    // Without flattening, the positions stay open: their stop-loss and take-profit orders stay too.
    if (!flatten && isProtectiveOrder(o)) {
      io.stdout(`kept ${o.category} ${o.symbol} ${o.orderId} (${protectionOf(o).join(", ")})\n`);
      continue;
    }
    const body = { category: o.category, symbol: o.symbol, orderId: o.orderId };
    try {
      const res = await client.post("/v5/order/cancel", body);
      if (!(await tryRecord(ledger, config, io, "order_cancelled", { intent: `cancel ${o.side.toLowerCase()} ${o.qty} ${o.symbol} (${o.category}) on halt`, request: { path: "/v5/order/cancel", body }, response: res.result, outcome: "accepted" }))) failures++;
      io.stdout(`cancelled ${o.category} ${o.symbol} ${o.orderId}\n`);
    } catch (err) {
      failures++;
      const msg = errorMessage(err);
      await tryRecord(ledger, config, io, "order_cancelled", { intent: `cancel ${o.symbol} on halt`, request: { path: "/v5/order/cancel", body }, outcome: "error", error: msg });
      io.stderr(`halt: cancel ${o.symbol} ${o.orderId} failed: ${msg}\n`);
    }
  }
  if (!flatten) return failures;
  const positions = await fetchRows<PositionRow>(client, "/v5/position/list", POSITION_SCOPES);
  if (!positions.value) {
    io.stderr(`halt: could not list positions: ${positions.error}\n`);
    return failures + 1;
  }
  for (const p of positions.value) {
    if (!p.side || Number(p.size) === 0) continue;
    const body = {
      category: p.category,
      symbol: p.symbol,
      side: p.side === "Buy" ? "Sell" : "Buy",
      orderType: "Market",
      qty: p.size,
      reduceOnly: true,
      positionIdx: p.positionIdx ?? 0,
      orderLinkId: newOrderLinkId(),
    };
    const intent = `close ${p.side.toLowerCase()} ${p.size} ${p.symbol} (${p.category}) reduce-only on halt`;
    // Like every order: its record, with the orderLinkId, is written before it is sent (best effort here).
    await tryRecord(ledger, config, io, "order_placed", { intent, request: { path: "/v5/order/create", body }, outcome: "pending", extra: { order_link_id: body.orderLinkId } });
    try {
      const res = await client.post("/v5/order/create", body);
      if (!(await tryRecord(ledger, config, io, "order_placed", { intent, request: { path: "/v5/order/create", body }, response: res.result, outcome: "accepted", extra: { order_link_id: body.orderLinkId } }))) failures++;
      io.stdout(`closed ${p.category} ${p.symbol} ${p.side} ${p.size}\n`);
    } catch (err) {
      failures++;
      const msg = errorMessage(err);
      await tryRecord(ledger, config, io, "order_rejected", { intent, request: { path: "/v5/order/create", body }, outcome: "error", error: msg, extra: { order_link_id: body.orderLinkId } });
      io.stderr(`halt: closing ${p.symbol} failed (${msg}); the orderLinkId was ${body.orderLinkId}\n`);
    }
  }
  return failures;
}

export const unhaltCommand: CliCommand = async (argv, io) => {
  const { values } = parse("unhalt", argv, { broker: { type: "string" }, global: { type: "boolean" } });
  if (values.help) {
    io.stdout(UNHALT_HELP);
    return EXIT.OK;
  }
  const { config, state, broker } = await setup("unhalt", values, io);
  const scope = values.global ? "global" : "broker";
  try {
    if (!(await state.halt.isSet(scope))) {
      io.stdout(`no ${scope} kill switch was set\n`);
      return EXIT.OK;
    }
    // Audited first: if the ledger cannot record the clearing, trading stays halted.
    try {
      await record(state.ledger, config, "halt_cleared", { intent: `unhalt ${scope === "global" ? "all brokers" : broker}`, outcome: "accepted", extra: { scope, broker } });
    } catch (err) {
      io.stderr(`unhalt: the audit ledger could not record it, so the kill switch stays on: ${errorMessage(err)}\n`);
      return EXIT.CHECK_FAILED;
    }
    await state.halt.clear(scope);
    io.stdout(`kill switch cleared (${scope})\n`);
    return EXIT.OK;
  } finally {
    await state.close();
  }
};
