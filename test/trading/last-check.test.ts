/**
 * The last check before the wire comes after every wait: a HALT tripped or
 * the mandate changed while the journal entry is being fsync'd (or the count
 * written) still stops the order. In-process, with the stores handed in.
 */
import { describe, expect, it } from "vitest";
import { tripHalt } from "../../src/state/index.js";
import { normalizePlace } from "../../src/trading/normalize.js";
import { tradingRig } from "../helpers/trading.js";

const rig = tradingRig();
const order = () => normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" });
const creates = () => rig.sim().requests().filter((r) => r.path === "/v5/order/create").length;

describe("the last check before the wire", () => {
  it("a HALT tripped during the journal's fsync: refused as its own step, nothing sent, the count given back", async () => {
    const svc = rig.service({}, {}, (files) => ({
      ...files,
      journal: Object.assign(Object.create(Object.getPrototypeOf(files.journal)), files.journal, {
        open: async (lines: Parameters<NonNullable<typeof files.journal>["open"]>[0]) => {
          await files.journal!.open(lines);
          tripHalt(files.paths!, { scope: "broker", by: "cli", reason: "during the fsync" });
        },
      }),
    }));
    const res = await svc.execute(order(), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny", refused_step: "halt_recheck" });
    expect(creates()).toBe(0);
    const rec = (res.structuredContent as { live_action: Record<string, any> }).live_action;
    // The gate's decision stands as made; the step's refusal is its own.
    expect(rec.explanation.decision).toBe("allow");
    expect(rec).toMatchObject({ kind: "order_rejected", outcome: "blocked", refused_step: "halt_recheck" });
    expect((await import("node:fs")).readFileSync(rig.rt().broker + "/trade_counter.json", "utf8")).toMatch(/"count": 0/);
  });

  it("the mandate rewritten while the count is written: refused as mandate_changed, nothing sent", async () => {
    const svc = rig.service({}, {}, (files) => ({
      ...files,
      counter: {
        ...files.counter,
        increment: async (nowMs: number, by: number) => {
          const n = await files.counter.increment(nowMs, by);
          rig.rt().writeMandate({ hard_caps: { max_order_notional_usd: 100 } });
          return n;
        },
      },
    }));
    const res = await svc.execute(order(), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", refused_step: "mandate_changed" });
    expect(creates()).toBe(0);
  });
});
