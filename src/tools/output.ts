/**
 * Building blocks of the tools' output schemas (tools/list `outputSchema`).
 *
 * Every result that carries structuredContent must validate against its
 * tool's schema, errors included (a 2025 client checks structuredContent
 * even when isError is set), so each tool's schema is a union of what it
 * answers on success and the error shape `errorResult` builds. Objects are
 * loose: the schema names the keys callers can rely on, and Bybit (or the
 * write path) may add more without breaking a client.
 *
 * Kept terse on purpose: these schemas travel in every tools/list.
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import { z } from "zod";

/** A decimal or id as Bybit sends it: a string. */
export const str = z.string();

/** What `errorResult` puts in structuredContent: the sentence and a stable code from src/errors.ts. */
export const errorOut = z.looseObject({ error: str, code: str });

/** Bybit's paged `result`: `category`, `list` of rows, and `nextPageCursor` ("" on the last page). */
export function pagedList<R extends z.ZodType>(row: R) {
  return z.looseObject({ category: str, list: z.array(row), nextPageCursor: str.optional() });
}

/** A read tool's output: Bybit's `result`, or the error shape. */
export function readOut<S extends z.ZodType>(result: S) {
  return z.union([result, errorOut]);
}

/** The refusal reason of a blocked write, and the limit it broke when it is a quantitative breach. */
const breach = z.looseObject({ limit: str, kind: str.optional() }).nullable().optional();

/**
 * What every write tool answers (shared/spec/interface.md, "What a write tool returns"):
 * accepted, blocked (a normal result), rejected and unknown (isError), or the error shape
 * for a call that never reached the gate (no keys, arguments that make no order).
 */
export const writeOut = z.union([
  z.looseObject({
    status: z.literal("accepted"),
    decision: z.literal("allow"),
    remote_tool: str,
    broker_response: z.unknown(),
    audit_id: str.nullable(),
    gate_decision: z.looseObject({ decision: str, reason: str }),
  }),
  z.looseObject({
    status: z.literal("blocked"),
    decision: z.enum(["deny", "pause_for_reauth"]),
    reason: str,
    broker: str.nullable(),
    remote_tool: str,
    requires_reauthorization: z.boolean(),
    live_action: z.unknown(),
    breach,
  }),
  z.looseObject({
    status: z.literal("rejected"),
    decision: z.literal("allow"),
    remote_tool: str,
    ret_code: z.number().nullable(),
    ret_msg: str,
    audit_id: str.nullable(),
  }),
  z.looseObject({
    status: z.literal("unknown"),
    decision: z.literal("allow"),
    remote_tool: str,
    order_link_id: str.nullable(),
    audit_id: str.nullable(),
  }),
  errorOut,
]);

type Json = Record<string, unknown>;

/**
 * writeOut as tools/list shows it: the keys every branch shares are typed
 * once and each branch only names its `status` and required keys, a third of
 * the bytes of zod's rendering, sent six times. It describes the same
 * results (test/tools/output-schema.test.ts validates real results with both).
 */
const WRITE_JSON: Json = {
  type: "object",
  properties: {
    status: { enum: ["accepted", "blocked", "rejected", "unknown"] },
    decision: { enum: ["allow", "deny", "pause_for_reauth"] },
    reason: { type: "string" },
    remote_tool: { type: "string" },
    audit_id: { type: ["string", "null"] },
    requires_reauthorization: { type: "boolean" },
    ret_code: { type: ["number", "null"] },
    ret_msg: { type: "string" },
    order_link_id: { type: ["string", "null"] },
    error: { type: "string" },
    code: { type: "string" },
  },
  anyOf: [
    { properties: { status: { const: "accepted" } }, required: ["status", "decision", "remote_tool", "broker_response", "audit_id", "gate_decision"] },
    { properties: { status: { const: "blocked" } }, required: ["status", "decision", "reason", "broker", "remote_tool", "requires_reauthorization", "live_action"] },
    { properties: { status: { const: "rejected" } }, required: ["status", "decision", "remote_tool", "ret_code", "ret_msg", "audit_id"] },
    { properties: { status: { const: "unknown" } }, required: ["status", "decision", "remote_tool", "order_link_id", "audit_id"] },
    { required: ["error", "code"] },
  ],
};

/** Schemas whose tools/list rendering is written by hand. */
const LISTED_AS = new Map<z.ZodType, Json>([[writeOut, WRITE_JSON]]);

/** The error branch as tools/list shows it: the two keys every error result has. */
const ERROR_LISTED: Json = { required: ["error", "code"] };
let errorCompact: string | undefined;

/**
 * Drop what only costs bytes: `$schema` (2020-12 is MCP's default),
 * `additionalProperties: {}` (extra keys are allowed anyway), a `type` beside
 * a `const` or `enum`, `type: "object"` on the members of an object root's
 * anyOf; and show the error branch by its required keys.
 */
function compact(node: unknown, memberOfObjectRoot = false, root = false, spotError = true): unknown {
  if (Array.isArray(node)) return node.map((n) => compact(n, memberOfObjectRoot));
  if (typeof node !== "object" || node === null) return node;
  const rec = node as Json;
  // Every tool's output root is an object (MCP requires it); a union root gets the type stated once.
  const out: Json = root && rec.type === undefined ? { type: "object" } : {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === "$schema") continue;
    if (k === "additionalProperties" && typeof v === "object" && v !== null && Object.keys(v).length === 0) continue;
    if (k === "type" && ("const" in rec || "enum" in rec)) continue;
    if (k === "type" && v === "object" && memberOfObjectRoot) continue;
    out[k] = compact(v, k === "anyOf" && out.type === "object");
  }
  if (memberOfObjectRoot && spotError) {
    errorCompact ??= JSON.stringify(compact(z.toJSONSchema(errorOut, { io: "output", target: "draft-2020-12" }), true, false, false));
    if (JSON.stringify(out) === errorCompact) return ERROR_LISTED;
  }
  return out;
}

const listedCache = new WeakMap<z.ZodType, StandardSchemaWithJSON>();

/**
 * A zod schema as the SDK registers it: zod validates, and tools/list shows
 * its JSON Schema compacted, converted once per process rather than once per
 * server (HTTP builds a server per 2026 request).
 */
export function listed(schema: z.ZodType, io: "input" | "output"): StandardSchemaWithJSON {
  let hit = listedCache.get(schema);
  if (!hit) {
    let json: Json | undefined = LISTED_AS.get(schema);
    const convert = () => (json ??= compact(z.toJSONSchema(schema, { io, target: "draft-2020-12" }), false, true) as Json);
    hit = { "~standard": { version: 1, vendor: "bybit-mcp", validate: schema["~standard"].validate, jsonSchema: { input: convert, output: convert } } };
    listedCache.set(schema, hit);
  }
  return hit;
}
