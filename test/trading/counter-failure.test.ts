/**
 * A counter that can be read but not written (disk full, say) stops the
 * orders it would count, before they are sent; the rest of the batch goes on.
 * The failing counter is handed in as a store: no module is mocked.
 */
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/errors.js";
import { normalizeCancelAll, normalizePlace } from "../../src/trading/normalize.js";
import { tradingRig } from "../helpers/trading.js";

const rig = tradingRig();

describe("an unwritable trade counter", () => {
  it("refuses the order before sending it; a cancel is unaffected", async () => {
    const svc = rig.service({}, {}, (files) => ({
      ...files,
      counter: { ...files.counter, increment: () => Promise.reject(new StateError("could not write the trade counter: ENOSPC")) },
    }));
    const sim = rig.sim();
    const res = await svc.execute(normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01" }), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked", decision: "deny", refused_step: "counter" });
    expect(String(res.structuredContent?.reason)).toMatch(/trade counter could not be written/);
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(0);
    const cancel = await svc.execute(normalizeCancelAll({ category: "linear", symbol: "BTCUSDT" }), "bybit_cancel_all_orders");
    expect(cancel.structuredContent?.status).toBe("accepted");
  });
});

describe("a ledger that fails while a rejected order's trade is given back", () => {
  it("gives nothing back then, and the reconcile that writes the record later gives it back once", async () => {
    let failNext = false;
    const svc = rig.service({}, { staleMs: 0 }, (files) => ({
      ...files,
      ledger: {
        ...files.ledger,
        appendManyAsync: (inputs, opts) => {
          if (!failNext) return files.ledger.appendManyAsync(inputs, opts);
          failNext = false;
          return Promise.reject(new StateError("could not write the ledger: EIO"));
        },
      },
    }));
    const sim = rig.sim();
    const buy = (link: string) => svc.execute(normalizePlace({ category: "linear", symbol: "BTCUSDT", side: "Buy", order_type: "Market", qty: "0.01", order_link_id: link }), "bybit_place_order");
    const counter = async () => (await svc.status()).trades as { used_today: number };
    expect((await buy("a-1")).structuredContent?.status).toBe("accepted");
    sim.faults.set({ next: [{ fault: "ret10006", path: "/v5/order/create" }] });
    failNext = true;
    expect((await buy("b-1")).structuredContent?.status).toBe("rejected");
    // Its record could not be written: its trade stays counted for now.
    expect((await counter()).used_today).toBe(2);
    // The next batch reconciles b-1 (not on the exchange: never executed) and gives its trade back, once.
    expect((await buy("c-1")).structuredContent?.status).toBe("accepted");
    expect((await counter()).used_today).toBe(2);
    expect(sim.requests().filter((r) => r.path === "/v5/order/create")).toHaveLength(3);
  });
});
