/**
 * The console driven in headless Chromium (Debian's chromium through
 * playwright-core), as a person would use it: log in through the token URL
 * and read the environment banner, approve a pending request, halt (with
 * its confirmation) and unhalt, renew the mandate, and find the records in
 * the ledger timeline. Then the refusals a browser can meet: no cookie, a
 * rebound DNS name (foreign Host), a cross-site form post, a POST without
 * the CSRF token. Screenshots go to test-artifacts/console/.
 *
 * In CI (CI=true) a missing browser fails the test: .ci/run installs it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSim, type Sim } from "../../src/sim/index.js";
import { packageRoot } from "../../src/util/package-root.js";
import { consoleRig, type ConsoleRig } from "../helpers/console.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(packageRoot(), "test-artifacts", "console");
const haveBrowser = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";

if (!haveBrowser && !inCi) console.error(`browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium); in CI this fails`);

describe.runIf(haveBrowser || inCi)("console in headless Chromium", () => {
  let sim: Sim;
  let rig: ConsoleRig;
  let browser: Browser;
  let page: Page;
  let origin: string;

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    sim = await startSim({ markDrift: false });
    rig = await consoleRig({ BYBIT_BASE_URL: sim.url, BYBIT_API_KEY: sim.apiKey, BYBIT_API_SECRET: sim.apiSecret });
    origin = `http://${rig.host}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // A DNS rebinding: an outside name that resolves to the console's address.
        "--host-resolver-rules=MAP rebound.test 127.0.0.1",
      ],
    });
    page = await (await browser.newContext()).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
    await sim?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it("logs in through the one-time URL and shows the environment banner", async () => {
    const url = rig.console.loginUrl();
    await page.goto(url);
    expect(new URL(page.url()).pathname).toBe("/");
    const banner = page.locator("header.banner");
    await expect.poll(() => banner.getAttribute("data-environment")).toBe("simulator");
    expect(await banner.textContent()).toContain("Simulator: nothing reaches Bybit");
    expect(await page.locator("#mandate").innerText()).toContain("In force");
    // With the simulator's keys, exposure is read (a fresh account holds none).
    expect(await page.locator("#mandate meter").count()).toBe(3);
    await shot("01-mandate");
    // The same URL a second time is refused.
    const again = await (await browser.newContext()).newPage();
    const res = await again.goto(url);
    expect(res?.status()).toBe(401);
    await again.context().close();
  });

  it("approves a pending request from the inbox", async () => {
    const r = rig.pendingApproval();
    await page.goto(`${origin}/approvals`);
    const card = page.locator(`[data-approval="${r.id}"]`).first();
    expect(await card.innerText()).toContain("buy $1,250.00 BTCUSDT (linear)");
    expect(await card.innerText()).toContain("exceeds max_order_notional_usd");
    await shot("02-approvals");
    await card.getByRole("button", { name: "Approve this one order" }).click();
    await page.waitForURL(`${origin}/approvals/${r.id}`);
    expect(await page.locator(".flash").innerText()).toContain(`Approved ${r.id}`);
    expect(await page.locator('[data-status="approved"]').count()).toBe(1);
    const stored = rig.approvals.get(r.id);
    expect(stored?.status).toBe("approved");
    expect(stored?.decided_by).toBe("console");
    await shot("03-approved");
  });

  it("trips a halt after confirming, then clears it", async () => {
    await page.goto(`${origin}/halt`);
    await page.fill("#reason", "stop for the browser test");
    await page.getByRole("button", { name: "Halt…" }).click();
    await page.waitForURL(`${origin}/halt`);
    // The first click only asks.
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
    expect(await page.locator("main").innerText()).toContain("stop for the browser test");
    await shot("04-confirm-halt");
    await Promise.all([page.waitForNavigation(), page.click("#confirm-halt")]);
    expect(existsSync(rig.paths.brokerHalt)).toBe(true);
    expect(await page.locator("#halt-state").innerText()).toContain("Trading is HALTED");
    expect(await page.locator("#halt-state").innerText()).toContain("by frontend: stop for the browser test");
    await shot("05-halted");
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Unhalt broker bybit" }).click()]);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
    expect(await page.locator("#halt-state").innerText()).toContain("Not halted");
  });

  it("renews the mandate from the commit/renew page", async () => {
    await page.goto(`${origin}/mandate/commit`);
    await page.fill("#renew-days", "7");
    await page.getByRole("button", { name: "Renew with these caps" }).click();
    await page.waitForURL(`${origin}/`);
    expect(await page.locator(".flash").innerText()).toMatch(/^Committed mandate_[0-9a-f]{32}/);
    expect(await page.locator("#mandate").innerText()).toContain("6 days 23 hours");
  });

  it("shows the records in the timeline, newest first, with a verified chain", async () => {
    await page.goto(`${origin}/ledger`);
    expect(await page.locator("#chain-badge").getAttribute("data-chain")).toBe("ok");
    const kinds = await page.locator("#timeline tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
    expect(kinds).toEqual(["mandate_committed", "halt_cleared", "halt_tripped"]);
    await shot("06-ledger");
    await page.getByRole("link", { name: "halt_tripped" }).click();
    await page.waitForURL(`${origin}/ledger?kind=halt_tripped`);
    const filtered = await page.locator("#timeline tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")));
    expect(filtered).toEqual(["halt_tripped"]);
    // A record another process writes appears on the next load.
    rig.ledger.append({
      kind: "halt_tripped",
      session_id: "s_other",
      intent_normalized: "halt from another process",
      mandate_snapshot_ref: null,
      consent_record_ref: null,
      broker_request: null,
      broker_response: null,
      outcome: "accepted",
      gate_decision: null,
      server: "bybit-mcp",
      remote_tool: "cli",
      error: null,
    });
    await page.reload();
    expect(await page.locator("#timeline tbody tr").first().innerText()).toContain("halt from another process");
  });

  it("refuses a browser without the cookie", async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const res = await p.goto(`${origin}/approvals`);
    expect(res?.status()).toBe(401);
    expect(await p.locator("main").innerText()).toContain("printed in the terminal");
    await p.screenshot({ path: join(ARTIFACTS, "07-no-cookie.png") });
    await ctx.close();
  });

  it("refuses a rebound DNS name (foreign Host)", async () => {
    const res = await page.goto(`http://rebound.test:${rig.console.port}/`);
    expect(res?.status()).toBe(403);
    expect(await page.locator("main").innerText()).not.toContain("Mandate");
  });

  it("refuses a cross-site form post, even from a tab that is logged in", async () => {
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end(
        `<form method="post" action="${origin}/halt"><input name="reason" value="pwned"><input name="scope" value="global"><input name="confirm" value="yes"><button id="go">go</button></form>`,
      );
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", () => r()));
    const port = (attacker.address() as { port: number }).port;
    try {
      await page.goto(`http://localhost:${port}/`);
      const [res] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
      expect(res?.status()).toBe(403);
      expect(existsSync(rig.paths.globalHalt)).toBe(false);
    } finally {
      await new Promise<void>((r) => attacker.close(() => r()));
    }
  });

  it("refuses a POST without the CSRF token", async () => {
    const res = await page.context().request.post(`${origin}/halt`, { form: { reason: "no token", scope: "broker", confirm: "yes" }, headers: { origin } });
    expect(res.status()).toBe(403);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
  });
});
