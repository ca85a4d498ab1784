import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sim, startSim } from "../../src/sim/index.js";
import { get, order, post } from "./helpers.js";

let sim: Sim;
beforeEach(async () => {
  sim = await startSim({ markDrift: false, rateLimits: false });
  sim.setMarkPrice("linear", "BTCUSDT", "100000");
});
afterEach(() => sim.close());

const lev = (buy: string, sell = buy) => post(sim, "/v5/position/set-leverage", { category: "linear", symbol: "BTCUSDT", buyLeverage: buy, sellLeverage: sell });
const stop = (body: Record<string, unknown>) => post(sim, "/v5/position/trading-stop", { category: "linear", symbol: "BTCUSDT", positionIdx: 0, ...body });

describe("set-leverage", () => {
  it("changes leverage, answers 110043 when unchanged, and validates the range", async () => {
    expect((await lev("10")).json.retCode).toBe(110043); // the default is 10
    expect((await lev("5")).json).toMatchObject({ retCode: 0, result: {} });
    expect(sim.state().leverage).toEqual({ "linear:BTCUSDT": "5" });
    expect((await lev("5.00")).json).toMatchObject({ retCode: 110043, retMsg: "leverage not modified" });
    expect((await lev("101")).json.retCode).toBe(10001);
    expect((await lev("5", "6")).json.retCode).toBe(10001);
    expect((await post(sim, "/v5/position/set-leverage", { category: "spot", symbol: "BTCUSDT", buyLeverage: "2", sellLeverage: "2" })).json.retCode).toBe(10001);
    const pos = await get(sim, "/v5/position/list", "category=linear&symbol=BTCUSDT");
    expect(pos.json.result.list[0].leverage).toBe("5");
  });

  it("leverage sets the margin a new order needs", async () => {
    sim.setWalletBalance("USDT", "150");
    expect((await post(sim, "/v5/order/create", order({ qty: "0.01" }))).json.retCode).toBe(0); // 100 USDT at 10x
    expect((await lev("2")).json.retCode).toBe(110044); // 500 USDT at 2x: not enough
    expect((await lev("20")).json.retCode).toBe(0);
    const pos = await get(sim, "/v5/position/list", "category=linear&symbol=BTCUSDT");
    expect(pos.json.result.list[0]).toMatchObject({ leverage: "20", positionIM: "50" });
  });
});

describe("trading-stop", () => {
  it("needs a position, sets TP/SL, and answers 34040 when nothing changes", async () => {
    expect((await stop({ takeProfit: "110000" })).json.retCode).toBe(10001);
    await post(sim, "/v5/order/create", order({ qty: "0.01" }));
    expect((await stop({ takeProfit: "110000", stopLoss: "95000", tpslMode: "Full" })).json.retCode).toBe(0);
    expect(sim.state().positions[0]).toMatchObject({ takeProfit: "110000", stopLoss: "95000", tpslMode: "Full" });
    expect((await stop({ takeProfit: "110000" })).json).toMatchObject({ retCode: 34040 });
    expect((await stop({})).json.retCode).toBe(34040);
    expect((await stop({ takeProfit: "90000" })).json.retCode).toBe(10001); // TP of a long below the mark
    expect((await stop({ positionIdx: 1, takeProfit: "120000" })).json.retCode).toBe(10001);
    expect((await stop({ takeProfit: "0" })).json.retCode).toBe(0);
    expect(sim.state().positions[0]!.takeProfit).toBe("0");
  });
});

describe("wallet-balance", () => {
  it("answers UNIFIED rows with exact strings and follows fills", async () => {
    expect((await get(sim, "/v5/account/wallet-balance", "accountType=SPOT")).json.retCode).toBe(10001);
    sim.setMarkPrice("spot", "BTCUSDT", "50000");
    sim.setWalletBalance("BTC", "1");
    const before = await get(sim, "/v5/account/wallet-balance", "accountType=UNIFIED");
    const acct = before.json.result.list[0];
    expect(acct.accountType).toBe("UNIFIED");
    expect(acct.coin.map((c: { coin: string }) => c.coin)).toEqual(["USDT", "BTC"]);
    expect(acct.totalWalletBalance).toBe("150000");
    await post(sim, "/v5/order/create", order({ category: "spot", side: "Sell", qty: "0.5" }));
    const after = await get(sim, "/v5/account/wallet-balance", "accountType=UNIFIED&coin=BTC,USDT");
    const rows = Object.fromEntries(after.json.result.list[0].coin.map((c: { coin: string }) => [c.coin, c]));
    expect(rows.BTC.walletBalance).toBe("0.5");
    // Sold at the bid, one tick under the mark.
    expect(rows.USDT.walletBalance).toBe("124999.995");
  });

  it("spot sells beyond the balance are 170131", async () => {
    const r = await post(sim, "/v5/order/create", order({ category: "spot", side: "Sell", qty: "2" }));
    expect(r.json.retCode).toBe(170131);
  });
});

describe("state file", () => {
  it("persists orders, positions, wallet and leverage across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-state-"));
    const file = join(dir, "nested", "sim.json");
    try {
      const a = await startSim({ stateFile: file, markDrift: false });
      a.setMarkPrice("linear", "BTCUSDT", "100000");
      await post(a, "/v5/position/set-leverage", { category: "linear", symbol: "BTCUSDT", buyLeverage: "3", sellLeverage: "3" });
      await post(a, "/v5/order/create", order({ qty: "0.02", orderLinkId: "keep-1" }));
      await post(a, "/v5/order/create", order({ orderType: "Limit", price: "90000", orderLinkId: "keep-2" }));
      a.setWalletBalance("ETH", "2.5");
      const saved = a.state();
      await a.close();
      expect(JSON.parse(readFileSync(file, "utf8")).version).toBe(1);

      const b = await startSim({ stateFile: file, markDrift: false });
      try {
        b.setMarkPrice("linear", "BTCUSDT", "100000");
        expect(b.state()).toEqual(saved);
        const open = await get(b, "/v5/order/realtime", "category=linear&orderLinkId=keep-2");
        expect(open.json.result.list[0].orderStatus).toBe("New");
        expect((await post(b, "/v5/order/create", order({ orderLinkId: "keep-1" }))).json.retCode).toBe(110072);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
