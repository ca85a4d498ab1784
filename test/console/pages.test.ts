/**
 * The console's pages and actions over plain HTTP: what each writes (and
 * what it refuses to), read back from the files the CLI reads.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { environmentOf, isSimulator } from "../../src/environment.js";
import { loadMandate } from "../../src/state/mandate-file.js";
import { startSim } from "../../src/sim/index.js";
import { consoleRig, type ConsoleRig } from "../helpers/console.js";

let rig: ConsoleRig;
let s: { cookie: string; csrf: string };
beforeEach(async () => {
  rig = await consoleRig();
  s = await rig.login();
});
afterEach(async () => {
  await rig.close();
});

const page = async (path: string) => {
  const res = await rig.raw("GET", path, { headers: { cookie: s.cookie } });
  expect(res.status, path).toBe(200);
  return res.body;
};
const flash = async (location: string) => /<div class="card flash[^"]*" role="status">([^<]*)</.exec(await page(location))?.[1] ?? "";

const form = {
  funding: "2000",
  "max-order": "200",
  "max-exposure": "1000",
  "max-leverage": "1",
  "trades-per-day": "5",
  instruments: "crypto",
  "asset-classes": "crypto",
  exclude: "DOGEUSDT",
  days: "10",
};

describe("commit", () => {
  it("re-shows the form with the CLI's sentence for a bad field and writes nothing", async () => {
    const before = readFileSync(rig.paths.mandate, "utf8");
    const res = await rig.post("/mandate/commit", { ...form, funding: "lots", csrf: s.csrf }, s.cookie);
    expect(res.status).toBe(400);
    expect(res.body).toContain('data-problem="funding"');
    expect(res.body).toContain("must be a US dollar amount above 0");
    expect(readFileSync(rig.paths.mandate, "utf8")).toBe(before);
  });

  it("shows a summary first, refuses to overwrite one in force without replace, then commits with it", async () => {
    const before = readFileSync(rig.paths.mandate, "utf8");
    const preview = await rig.post("/mandate/commit", { ...form, csrf: s.csrf }, s.cookie);
    expect(preview.status).toBe(200);
    expect(preview.body).toContain("The mandate, for 10 days:");
    expect(preview.body).toContain("never trade:    DOGEUSDT");
    expect(readFileSync(rig.paths.mandate, "utf8")).toBe(before);

    const refused = await rig.post("/mandate/commit", { ...form, confirm: "yes", csrf: s.csrf }, s.cookie);
    expect(refused.status).toBe(303);
    expect(await flash("/mandate/commit")).toContain("Commit refused: a mandate (m_example) is in force");
    expect(readFileSync(rig.paths.mandate, "utf8")).toBe(before);

    const done = await rig.post("/mandate/commit", { ...form, replace: "yes", confirm: "yes", csrf: s.csrf }, s.cookie);
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe("/");
    const load = loadMandate(rig.paths.mandate, { brokerKey: "bybit" });
    expect(load.ok && load.mandate.hard_caps.max_order_notional_usd).toBe(200);
    expect(load.ok && load.mandate.universe.exclude_symbols).toEqual(["DOGEUSDT"]);
    const [rec] = rig.ledger.tail(1);
    expect(rec).toMatchObject({ kind: "mandate_committed", remote_tool: "console", server: "bybit" });
  });

  it("renew refuses when the mandate on disk is not the one shown", async () => {
    const before = readFileSync(rig.paths.mandate, "utf8");
    const res = await rig.post("/mandate/renew", { days: "5", expect: "mandate_other", csrf: s.csrf }, s.cookie);
    expect(res.status).toBe(303);
    expect(await flash("/mandate/commit")).toContain("no longer mandate_other");
    expect(readFileSync(rig.paths.mandate, "utf8")).toBe(before);
  });
});

describe("approvals", () => {
  it("rejects one, and a second decision on it is refused with the store's sentence", async () => {
    const r = rig.pendingApproval();
    expect(await page(`/approvals/${r.id}`)).toContain("&quot;symbol&quot;: &quot;BTCUSDT&quot;");
    await rig.post(`/approvals/${r.id}/reject`, { csrf: s.csrf }, s.cookie);
    expect(rig.approvals.get(r.id)?.status).toBe("rejected");
    await rig.post(`/approvals/${r.id}/approve`, { csrf: s.csrf }, s.cookie);
    expect(await flash(`/approvals/${r.id}`)).toContain("was already rejected");
    expect(rig.approvals.get(r.id)?.status).toBe("rejected");
  });

  it("an unknown id is a 404, and a path-like id is never read as a file", async () => {
    expect((await rig.raw("GET", `/approvals/apr_${"0".repeat(32)}`, { headers: { cookie: s.cookie } })).status).toBe(404);
    expect((await rig.raw("GET", "/approvals/..%2F..%2Fmandate", { headers: { cookie: s.cookie } })).status).toBe(404);
  });

  it("escapes what an agent put in the order, so it cannot inject markup", async () => {
    rig.pendingApproval({ intent: '<img src=x onerror="alert(1)">' });
    const body = await page("/approvals");
    expect(body).not.toContain("<img src=x");
    expect(body).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});

describe("halt", () => {
  it("needs a reason, and writes the HALT file with by: frontend and a halt_tripped record", async () => {
    await rig.post("/halt", { reason: " ", confirm: "yes", csrf: s.csrf }, s.cookie);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
    await rig.post("/halt", { reason: "lunch", scope: "global", confirm: "yes", csrf: s.csrf }, s.cookie);
    expect(JSON.parse(readFileSync(rig.paths.globalHalt, "utf8"))).toMatchObject({ by: "frontend", reason: "lunch" });
    expect(rig.ledger.tail(1)[0]).toMatchObject({ kind: "halt_tripped", intent_normalized: "halt all brokers: lunch", remote_tool: "console" });
    expect(await page("/")).toContain("Trading is HALTED");
  });
});

describe("ledger", () => {
  it("the chain badge turns broken when the chain file is edited after a verified load", async () => {
    await rig.post("/halt", { reason: "one", confirm: "yes", csrf: s.csrf }, s.cookie);
    await rig.post("/unhalt", { scope: "broker", csrf: s.csrf }, s.cookie);
    expect(await page("/ledger")).toContain('data-chain="ok"');
    expect(await page("/ledger")).toContain("chain verified: 2 records");
    const chain = rig.paths.auditChain;
    writeFileSync(chain, readFileSync(chain, "utf8").replace("halt broker bybit: one", "halt broker bybit: two"));
    expect(await page("/ledger")).toContain('data-chain="broken"');
  });

  it("filters by kind, newest first", async () => {
    await rig.post("/halt", { reason: "first", confirm: "yes", csrf: s.csrf }, s.cookie);
    await rig.post("/unhalt", { scope: "broker", csrf: s.csrf }, s.cookie);
    await rig.post("/halt", { reason: "second", confirm: "yes", csrf: s.csrf }, s.cookie);
    const body = await page("/ledger?kind=halt_tripped");
    expect(body).not.toContain('data-kind="halt_cleared"');
    expect(body.indexOf("second")).toBeLessThan(body.indexOf("first"));
  });
});

describe("environment", () => {
  it("names the fixed networks, tells the simulator apart from another custom URL", async () => {
    expect((await environmentOf({ network: "mainnet", baseUrl: "https://api.bybit.com" })()).name).toBe("mainnet");
    expect((await environmentOf({ network: "testnet", baseUrl: "https://api-testnet.bybit.com" })()).name).toBe("testnet");
    const sim = await startSim({ markDrift: false });
    const proxy = createServer((_q, r) => r.writeHead(404).end("404 page not found"));
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
    try {
      expect(await isSimulator(sim.url)).toBe(true);
      const other = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const env = await environmentOf({ network: "custom", baseUrl: other })();
      expect(env).toMatchObject({ name: "custom", label: `Custom: ${other}` });
      expect(await isSimulator("http://127.0.0.1:1")).toBe(false);
    } finally {
      await sim.close();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
