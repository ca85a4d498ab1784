/**
 * The two tools no peer has: ask the gate about an order without sending it,
 * and read the mandate's state. Read-only, no side effects, no counter.
 */
import { z } from "zod";
import { normalizePlace } from "../trading/normalize.js";
import { defineTool, okResult, READ_ONLY } from "./common.js";
import { placeOrderInput, prepareCall } from "./trade.js";
import { errorOut, str } from "./output.js";

/** The gate's answer without sending: "checked" (never accepted/blocked: nothing was placed), or the error shape. */
const checkOut = z.union([
  z.looseObject({
    status: z.literal("checked"),
    decision: z.enum(["allow", "deny", "pause_for_reauth"]),
    allowed: z.boolean(),
    reason: str,
    requires_reauthorization: z.boolean(),
    rules_revision: str.nullable(),
    explanation: z.array(z.looseObject({ id: str, status: str })),
  }),
  errorOut,
]);

const nullableStr = str.nullable();
const statusOut = z.union([
  z.looseObject({
    summary: str,
    broker: nullableStr,
    mandate: z.looseObject({ loaded: z.boolean() }),
    halt: z.looseObject({ halted: z.boolean() }),
    trades: z.looseObject({}),
    exposure: z.looseObject({}),
    rules: z.looseObject({ valid: z.boolean() }),
  }),
  errorOut,
]);

/** The gate's decision and explanation for an order, as if placed now; nothing is forwarded. */
export const checkOrder = defineTool({
  name: "bybit_check_order",
  title: "Check order against mandate",
  description: "Same arguments as bybit_place_order. Returns the gate's decision (allow/deny/pause_for_reauth), reason and per-rule explanation, as if placed now. Sends nothing.",
  input: placeOrderInput,
  output: checkOut,
  annotations: READ_ONLY,
  handler: async (a, deps) => {
    const call = prepareCall(deps, "bybit_check_order", "reads your positions", () => normalizePlace(a));
    if ("content" in call) return call;
    const d = await (await deps.trading()).check(call);
    return okResult(
      {
        status: "checked",
        decision: d.decision,
        allowed: d.allowed,
        reason: d.reason,
        requires_reauthorization: d.requires_reauthorization,
        decided_by: d.decided_by,
        checked_limits: d.checked_limits,
        breach: d.breach ? { ...d.breach, proposed_action: d.proposed_action } : null,
        intent_normalized: d.intent_normalized,
        rules_revision: d.rules_revision,
        explanation: d.explanation.map((r) => ({ id: r.id, status: r.status, outcome: r.outcome, message: r.message })),
      },
      `${d.decision}: ${d.reason}`,
    );
  },
});

/** Mandate loaded or why not, caps, expiry, halt, trades left today, exposure headroom, rules revision. */
export const getMandateStatus = defineTool({
  name: "bybit_get_mandate_status",
  title: "Mandate status",
  description: "Whether a mandate is loaded (or why not), its caps and expiry, halt state, trades used/left today, gross exposure and headroom, rules revision.",
  input: z.strictObject({}),
  output: statusOut,
  annotations: READ_ONLY,
  handler: async (_a, deps) => {
    const status = await (await deps.trading()).status();
    return okResult(status, status.summary);
  },
});

export const statusTools = [checkOrder, getMandateStatus];
