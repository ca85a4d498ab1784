/**
 * The two tools no peer has: ask the gate about an order without sending it,
 * and read the mandate's state. Read-only, no side effects, no counter.
 */
import { z } from "zod";
import { IntentError, normalizePlace } from "../trading/normalize.js";
import { defineTool, errorResult, okResult, READ_ONLY } from "./common.js";
import { placeOrderInput } from "./trade.js";

/** The gate's decision and explanation for an order, as if placed now; nothing is forwarded. */
export const checkOrder = defineTool({
  name: "bybit_check_order",
  title: "Check order against mandate",
  description: "Same arguments as bybit_place_order. Returns the gate's decision (allow/deny/pause_for_reauth), reason and per-rule explanation, as if placed now. Sends nothing.",
  input: placeOrderInput,
  annotations: READ_ONLY,
  handler: async (a, deps) => {
    if (!deps.hasCredentials) {
      return errorResult("bybit_check_order reads your positions, so it needs an API key: set BYBIT_API_KEY and BYBIT_API_SECRET.", { code: "E_NO_CREDENTIALS" });
    }
    let call;
    try {
      call = normalizePlace(a);
    } catch (err) {
      if (err instanceof IntentError || (err as { code?: string }).code === "E_DECIMAL") return errorResult(`bybit_check_order: ${(err as Error).message}.`, { code: "E_INTENT" });
      throw err;
    }
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
  annotations: READ_ONLY,
  handler: async (_a, deps) => {
    const status = await (await deps.trading()).status();
    return okResult(status, status.summary);
  },
});

export const statusTools = [checkOrder, getMandateStatus];
