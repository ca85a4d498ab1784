/**
 * Recorded-order fixtures: a tool call, the facts recorded around it
 * (mandate, halt, quote, positions, open orders, counter, clock) and the
 * decision and deciding rule expected. One loader turns each into the
 * (GateIntent, RawFacts) pair the write path would have handed decide().
 *
 *   name, description
 *   call:     { tool, arguments }            check_order is evaluated as place_order
 *   recorded: { now, broker?, mandate, halt?, quote, quote_error?, positions?,
 *               open_orders?, counter?, counter_error? }
 *     open_orders: amend and cancel find their order here by orderId/orderLinkId;
 *              for a cancel, absent or null means the order was not looked up
 *     mandate: a whole mandate object, or { base: <path to .json>, set: {dot.path: value}, unset: [dot.path] },
 *              or { error: "why" } for a mandate that could not be loaded
 *     quote:   a Bybit ticker row plus age_ms (default 0)
 *   want:     { decision, rule, facts?: {dot.path: value}, reason_contains? }
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { validateMandate } from "../gate/mandate.js";
import { parseIsoTimestamp, utcDate } from "../gate/time.js";
import type { GateDecisionValue, GateIntent, GateTool, MandateLoad, OrderRow, PositionRow, Quote, RawFacts } from "../gate/types.js";

export interface FixtureWant {
  decision: GateDecisionValue;
  rule: string | null;
  facts?: Record<string, unknown>;
  reason_contains?: string;
}

export interface Fixture {
  name: string;
  file: string;
  description: string;
  intent: GateIntent;
  raw: RawFacts;
  want: FixtureWant | null;
}

const TOOLS: readonly string[] = ["place_order", "amend_order", "cancel_order", "cancel_all_orders", "set_leverage", "set_trading_stop"];

/** Read a fixture file (YAML or JSON). Throws an Error naming the file and field on a malformed fixture. */
export function loadFixture(file: string): Fixture {
  const text = readFileSync(file, "utf8");
  const doc = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  return fixtureFrom(doc, file);
}

/** Build a fixture from its parsed document; `file` anchors relative mandate paths. */
export function fixtureFrom(doc: unknown, file: string): Fixture {
  const bad = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!isObj(doc)) return bad("a fixture must be an object");
  const call = isObj(doc.call) ? doc.call : bad("call must be an object {tool, arguments}");
  const rec = isObj(doc.recorded) ? doc.recorded : bad("recorded must be an object");
  const nowMs = parseIsoTimestamp(rec.now) ?? bad("recorded.now must be an ISO-8601 timestamp");
  const broker = typeof rec.broker === "string" ? rec.broker : "bybit";
  const openOrders = rowsOrNull<OrderRow>(rec.open_orders, "recorded.open_orders", bad);
  // A cancel looks its order up only when open orders were recorded: absent or null = not read.
  const cancelLookup = Array.isArray(rec.open_orders) ? openOrders : null;
  const intent = intentFrom(call, openOrders ?? [], cancelLookup, bad);
  const raw: RawFacts = {
    nowMs,
    mandate: mandateFrom(rec.mandate, broker, file, bad),
    halt: isObj(rec.halt) ? (rec.halt as unknown as RawFacts["halt"]) : { global: false, broker: false },
    quote: quoteFrom(rec.quote, nowMs),
    positions: rowsOrNull<PositionRow>(rec.positions, "recorded.positions", bad),
    openOrders,
    tradesToday: null,
  };
  if (typeof rec.quote_error === "string") raw.quoteError = rec.quote_error;
  if (typeof rec.positions_error === "string") raw.positionsError = rec.positions_error;
  if (typeof rec.open_orders_error === "string") raw.openOrdersError = rec.open_orders_error;
  if (rec.counter === undefined) {
    raw.tradesToday = 0;
    raw.counterDate = utcDate(nowMs);
  } else if (isObj(rec.counter)) {
    raw.tradesToday = typeof rec.counter.count === "number" ? rec.counter.count : null;
    if (typeof rec.counter.date === "string") raw.counterDate = rec.counter.date;
  }
  if (typeof rec.counter_error === "string") raw.counterError = rec.counter_error;
  let want: FixtureWant | null = null;
  if (doc.want !== undefined) {
    const w = isObj(doc.want) ? doc.want : bad("want must be an object {decision, rule}");
    if (!["allow", "deny", "pause_for_reauth"].includes(String(w.decision))) bad("want.decision must be allow, deny or pause_for_reauth");
    want = { decision: w.decision as GateDecisionValue, rule: typeof w.rule === "string" ? w.rule : null };
    if (isObj(w.facts)) want.facts = w.facts;
    if (typeof w.reason_contains === "string") want.reason_contains = w.reason_contains;
  }
  return {
    name: typeof doc.name === "string" ? doc.name : file,
    file,
    description: typeof doc.description === "string" ? doc.description : "",
    intent,
    raw,
    want,
  };
}

function intentFrom(call: Record<string, unknown>, openOrders: OrderRow[], cancelLookup: OrderRow[] | null, bad: (w: string) => never): GateIntent {
  const toolRaw = call.tool === "check_order" ? "place_order" : call.tool;
  if (typeof toolRaw !== "string" || !TOOLS.includes(toolRaw)) bad(`call.tool ${JSON.stringify(call.tool)} is not a gated tool`);
  const a = isObj(call.arguments) ? call.arguments : {};
  const str = (v: unknown) => (typeof v === "number" ? String(v) : typeof v === "string" ? v : undefined);
  const intent: GateIntent = { tool: toolRaw as GateTool, category: a.category as GateIntent["category"], symbol: typeof a.symbol === "string" ? a.symbol : "" };
  const set = <K extends keyof GateIntent>(k: K, v: GateIntent[K] | undefined) => {
    if (v !== undefined) intent[k] = v;
  };
  set("side", a.side as GateIntent["side"]);
  set("orderType", a.orderType as GateIntent["orderType"]);
  set("qty", str(a.qty));
  set("price", str(a.price));
  set("marketUnit", a.marketUnit as GateIntent["marketUnit"]);
  set("reduceOnly", typeof a.reduceOnly === "boolean" ? a.reduceOnly : undefined);
  set("notionalUsd", str(a.notional_usd ?? a.notionalUsd));
  set("leverage", str(a.leverage ?? a.buyLeverage));
  const byId = (rows: OrderRow[]) => {
    const id = a.orderId ?? a.orderLinkId;
    return rows.find((o) => o.orderId === id || (o.orderLinkId !== undefined && o.orderLinkId === id)) ?? null;
  };
  if (intent.tool === "amend_order") intent.existingOrder = byId(openOrders);
  if (intent.tool === "cancel_order" && cancelLookup !== null) intent.existingOrder = byId(cancelLookup);
  return intent;
}

function mandateFrom(m: unknown, broker: string, file: string, bad: (w: string) => never): MandateLoad {
  if (!isObj(m)) return bad("recorded.mandate must be an object");
  if (typeof m.error === "string") return { ok: false, reason: m.error, problems: [{ path: "(file)", message: m.error }] };
  if (typeof m.base !== "string") return validateMandate(m, { brokerKey: broker });
  const value = JSON.parse(readFileSync(resolve(dirname(file), m.base), "utf8")) as Record<string, unknown>;
  for (const [path, v] of Object.entries(isObj(m.set) ? m.set : {})) setPath(value, path, v, bad);
  for (const path of Array.isArray(m.unset) ? m.unset : []) setPath(value, String(path), undefined, bad);
  return validateMandate(value, { brokerKey: broker });
}

function quoteFrom(q: unknown, nowMs: number): Quote | null {
  if (!isObj(q)) return null;
  const { age_ms: age, ...rest } = q;
  return { ...(rest as unknown as Quote), fetchedAtMs: typeof rest.fetchedAtMs === "number" ? rest.fetchedAtMs : nowMs - (typeof age === "number" ? age : 0) };
}

function rowsOrNull<T>(v: unknown, what: string, bad: (w: string) => never): T[] | null {
  if (v === undefined) return [];
  if (v === null) return null;
  return Array.isArray(v) ? (v as T[]) : bad(`${what} must be a list or null`);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown, bad: (w: string) => never): void {
  const parts = path.split(".");
  let cur: Record<string, unknown> = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObj(cur[p])) bad(`mandate path ${path} does not exist in the base mandate`);
    cur = cur[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] ?? "";
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
