/**
 * Fewer signed reads per gated order, still fail-closed: the scope plan's
 * wallet rule (pure), and the write path against the simulator: a USDT-only
 * account's order reads 4 signed endpoints, and a USDC position opened
 * mid-session by another client is seen by the very next order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BybitClient } from "../../src/bybit/client.js";
import { normalizePlace } from "../../src/trading/normalize.js";
import { ScopePlan, walletSuspects, type WalletCoin } from "../../src/trading/scopes.js";
import { tradingRig } from "../helpers/trading.js";

const cash = (coin: string, balance: string): WalletCoin => ({ coin, walletBalance: balance, equity: balance, usdValue: balance, totalPositionIM: "0", totalOrderIM: "0", unrealisedPnl: "0" });
const wallet = (...coins: WalletCoin[]) => ({ list: [{ coin: coins }] });

describe("walletSuspects", () => {
  it("rules every scope out for a wallet of cash only", () => {
    expect([...walletSuspects(wallet(cash("USDT", "1000"), cash("USDC", "5")), new Set())!]).toEqual([]);
  });

  it("position IM, order IM or unrealised PnL on a coin keep the scopes it settles", () => {
    expect([...walletSuspects(wallet({ ...cash("USDC", "0"), totalPositionIM: "12.5" }), new Set())!].sort()).toEqual(["linear:USDC", "option"]);
    expect([...walletSuspects(wallet({ ...cash("BTC", "0.1"), totalOrderIM: "0.001" }), new Set())!]).toEqual(["inverse"]);
    expect([...walletSuspects(wallet({ ...cash("USDT", "10"), unrealisedPnl: "-1", equity: "9" }), new Set(["linear:USDT"]))!]).toEqual(["linear:USDT"]);
  });

  it("USDT activity no USDT rows explain reads options too; option value (equity beyond balance + PnL) reads options", () => {
    expect([...walletSuspects(wallet({ ...cash("USDT", "10"), totalPositionIM: "3" }), new Set())!].sort()).toEqual(["linear:USDT", "option"]);
    expect([...walletSuspects(wallet({ ...cash("USDC", "10"), equity: "14" }), new Set())!].sort()).toEqual(["linear:USDC", "option"]);
  });

  it("a blank field (portfolio margin) or an unreadable wallet rules nothing out", () => {
    expect([...walletSuspects(wallet({ ...cash("USDC", "0"), totalPositionIM: "" }), new Set())!].sort()).toEqual(["linear:USDC", "option"]);
    expect(walletSuspects(null, new Set())).toBeNull();
    expect(walletSuspects({ list: "x" } as never, new Set())).toBeNull();
    expect(walletSuspects({ list: [{ coin: [{} as WalletCoin] }] }, new Set())).toBeNull();
  });
});

describe("ScopePlan", () => {
  it("reads everything first and after fullEveryMs; in between only the used scopes and the batch's own", () => {
    let now = 0;
    const plan = new ScopePlan({ fullEveryMs: 1000, now: () => now });
    const btc = [{ category: "linear" as const, symbol: "BTCUSDT" }];
    const first = plan.first(btc, true);
    expect(first.full).toBe(true);
    expect(first.scopes).toHaveLength(4);
    plan.learn(first, first.scopes, new Set(["inverse"]));
    now = 10;
    expect(plan.first(btc, true).scopes.map((s) => s.settleCoin ?? s.category)).toEqual(["USDT", "inverse"]);
    expect(plan.first([], false).full).toBe(true); // no wallet read: nothing can be ruled out
    expect(plan.first([{ category: "linear", symbol: "WEIRD" }], true).full).toBe(true);
    now = 1000;
    expect(plan.first(btc, true).full).toBe(true);
  });

  it("a scope stays read while it has rows, and one traded in is read again after the order", () => {
    const plan = new ScopePlan({ now: () => 0 });
    const wave = plan.first([{ category: "option", symbol: "BTC-26DEC26-100000-C" }], true);
    plan.learn(wave, wave.scopes, new Set());
    const next = plan.first([], true);
    expect(next.scopes.map((s) => s.category)).toEqual(["option"]);
    plan.learn(next, next.scopes, new Set());
    expect(plan.first([], true).scopes).toEqual([]);
  });
});

describe("gated orders read only the scopes the account may use", () => {
  const rig = tradingRig();
  const clients: BybitClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  const place = (symbol: string, qty: string) => normalizePlace({ category: "linear", symbol, side: "Buy", order_type: "Market", qty });
  const reads = () => rig.sim().requests().filter((r) => r.method === "GET" && r.path !== "/v5/order/create");
  const signed = () => reads().filter((r) => r.apiKey !== undefined);
  const other = () => {
    const c = new BybitClient({ baseUrl: rig.sim().url, apiKey: rig.sim().apiKey, apiSecret: rig.sim().apiSecret, recvWindow: 5000, timeoutMs: 2000 });
    clients.push(c);
    return c;
  };

  it("a USDT-only account: 4 signed reads per order after the first, 5 with the ticker", async () => {
    const svc = rig.service();
    expect((await svc.execute(place("BTCUSDT", "0.001"), "bybit_place_order")).structuredContent?.status).toBe("accepted");
    for (let i = 0; i < 3; i++) {
      rig.sim().clearRequests();
      expect((await svc.execute(place("BTCUSDT", "0.001"), "bybit_place_order")).structuredContent?.status).toBe("accepted");
      expect(signed().map((r) => `${r.path} ${r.query.category ?? ""}${r.query.settleCoin ?? ""}`).sort()).toEqual([
        "/v5/account/wallet-balance ",
        "/v5/order/realtime linearUSDT",
        "/v5/order/realtime spot",
        "/v5/position/list linearUSDT",
      ]);
      expect(reads()).toHaveLength(5);
    }
  });

  it("a USDC position opened mid-session by another client is counted by the next order", async () => {
    rig.rt().writeMandate({ hard_caps: { max_total_exposure_usd: 2000, max_order_notional_usd: 5000 } });
    rig.sim().setMarkPrice("linear", "BTCPERP", "50000");
    const svc = rig.service();
    expect((await svc.execute(place("BTCUSDT", "0.001"), "bybit_place_order")).structuredContent?.status).toBe("accepted"); // $50
    // USDC cash alone is not a position: the USDC scope is still ruled out.
    rig.sim().setWalletBalance("USDC", "10000");
    rig.sim().clearRequests();
    expect((await svc.execute(place("BTCUSDT", "0.001"), "bybit_place_order")).structuredContent?.status).toBe("accepted"); // $100 total
    expect(signed().filter((r) => r.query.settleCoin === "USDC")).toEqual([]);

    // Another client (Vibe-Trading, the web UI) opens $1,500 of BTCPERP, settled in USDC.
    await other().post("/v5/order/create", { category: "linear", symbol: "BTCPERP", side: "Buy", orderType: "Market", qty: "0.03" });
    expect(rig.sim().state().positions.find((p) => p.symbol === "BTCPERP")?.size).toBe("0.03");

    // $100 + $1,500 + $1,000 would pass a $2,000 cap only if the USDC position were missed.
    rig.sim().clearRequests();
    const res = await svc.execute(place("BTCUSDT", "0.02"), "bybit_place_order");
    expect(res.structuredContent).toMatchObject({ status: "blocked" });
    expect(String(res.structuredContent?.reason)).toMatch(/exposure/i);
    expect(signed().some((r) => r.path === "/v5/position/list" && r.query.settleCoin === "USDC")).toBe(true);

    // Now known to be used, the USDC scope is read with the first wave, and a smaller order fits.
    rig.sim().clearRequests();
    expect((await svc.execute(place("BTCUSDT", "0.001"), "bybit_place_order")).structuredContent?.status).toBe("accepted");
    expect(signed().filter((r) => r.query.settleCoin === "USDC").map((r) => r.path).sort()).toEqual(["/v5/order/realtime", "/v5/position/list"]);
  });
});
