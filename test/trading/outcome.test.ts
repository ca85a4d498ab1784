/**
 * The classifier of errors from a forwarded write, as a table: what each
 * exchange answer means for the call (refused, maybe done, not modified, not sent).
 */
import { describe, expect, it } from "vitest";
import { BadResponseError, BybitApiError, HttpStatusError, NetworkError, TimeoutError } from "../../src/errors.js";
import type { GateTool } from "../../src/gate/types.js";
import { classifyForwardError, NotSentError } from "../../src/trading/outcome.js";

const P = "/v5/order/create";
const table: [string, GateTool, unknown, string][] = [
  ["110007 insufficient balance", "place_order", new BybitApiError(110007, "ab not enough", P), "refused"],
  ["10001 bad params", "place_order", new BybitApiError(10001, "params error", P), "refused"],
  ["10006 rate limit (not processed)", "place_order", new BybitApiError(10006, "too many visits", P), "refused"],
  ["10000 server timeout", "place_order", new BybitApiError(10000, "server timeout", P), "maybe"],
  ["10016 server error", "place_order", new BybitApiError(10016, "internal", P), "maybe"],
  ["170007 spot backend timeout", "place_order", new BybitApiError(170007, "timeout", P), "maybe"],
  ["170146 create timeout", "place_order", new BybitApiError(170146, "timeout", P), "maybe"],
  ["170147 cancel timeout", "cancel_order", new BybitApiError(170147, "timeout", "/v5/order/cancel"), "maybe"],
  ["110043 leverage not modified", "set_leverage", new BybitApiError(110043, "leverage not modified", "/v5/position/set-leverage"), "not_modified"],
  ["110043 on an order is a refusal", "place_order", new BybitApiError(110043, "x", P), "refused"],
  ["34040 trading stop not modified", "set_trading_stop", new BybitApiError(34040, "not modified", "/v5/position/trading-stop"), "not_modified"],
  ["HTTP 403", "place_order", new HttpStatusError(403, P, "forbidden"), "refused"],
  ["HTTP 502", "place_order", new HttpStatusError(502, P, "bad gateway"), "maybe"],
  ["connection refused (never sent)", "place_order", new NetworkError(P, false), "refused"],
  ["connection dropped (maybe sent)", "place_order", new NetworkError(P, true), "maybe"],
  ["timeout", "place_order", new TimeoutError(P, 1000), "maybe"],
  ["garbled answer", "place_order", new BadResponseError(P, "malformed JSON"), "maybe"],
  ["the last check refused", "place_order", new NotSentError("halt_recheck", "halted"), "not_sent"],
  ["anything else", "place_order", new Error("boom"), "maybe"],
];

describe("classifyForwardError", () => {
  for (const [name, tool, err, kind] of table) {
    it(`${name} -> ${kind}`, () => {
      const c = classifyForwardError(tool, err);
      expect(c.kind).toBe(kind);
      if (c.kind === "not_sent") expect(c.step).toBe("halt_recheck");
      if (c.kind === "maybe") expect(c.expected).toBe(!(err instanceof Error && err.message === "boom"));
    });
  }
});
