/**
 * The console on the shared PostgreSQL state (BYBIT_MCP_STATE=postgres://…,
 * a fresh database), driven in headless Chromium as a person would: commit
 * a mandate through the commit form, halt (with its confirmation) and
 * unhalt, decide an approval request another host recorded, and read those
 * records in the ledger timeline. Each step is checked in the database
 * itself (bybit_mcp_mandates, bybit_mcp_halt, bybit_mcp_approvals,
 * bybit_mcp_ledger), and against the runtime root's files, which must not
 * have taken the records instead. Last, a ledger row edited in place (its
 * append-only trigger switched off by the owner) turns the chain badge
 * broken on the next load: on PostgreSQL the walk is never cached.
 *
 * Needs PostgreSQL (describePg) and /usr/bin/chromium; in CI both must be there.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/util/package-root.js";
import { consoleRig, pausedOrder, type ConsoleRig } from "../helpers/console.js";
import { describePg, dropDatabase, freshDatabase, pgTestUrl } from "../helpers/pg.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(packageRoot(), "test-artifacts", "console");
const haveBrowser = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";

if (!haveBrowser && !inCi) console.error(`browser test on PostgreSQL skipped: ${CHROMIUM} is missing (apt-get install -y chromium); in CI this fails`);

(haveBrowser || inCi ? describePg : describe.skip)("console on PostgreSQL in headless Chromium", () => {
  let url: string;
  let rig: ConsoleRig;
  let db: pg.Client;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let fileMandate: string;
  let mandateId: string;

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    url = await freshDatabase(pgTestUrl()!);
    rig = await consoleRig({ BYBIT_MCP_STATE: url });
    // The runtime root keeps its own mandate file: the console must not read it on postgres.
    fileMandate = readFileSync(rig.paths.mandate, "utf8");
    db = new pg.Client({ connectionString: url });
    await db.connect();
    origin = `http://${rig.host}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await (await browser.newContext()).newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await rig?.close();
    if (url) await dropDatabase(url);
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `pg-${name}.png`), fullPage: true });
  const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows;

  it("logs in and reads the mandate from the database, not the runtime root's file", async () => {
    expect(rig.state.backend).toBe("postgres");
    await page.goto(rig.console.loginUrl());
    expect(new URL(page.url()).pathname).toBe("/");
    const main = await page.locator("main").innerText();
    expect(main).toContain("No valid mandate: every order is denied.");
    expect(main).toContain("bybit_mcp_mandates");
    await shot("01-no-mandate");
  });

  it("commits a mandate through the commit form into bybit_mcp_mandates", async () => {
    await page.goto(`${origin}/mandate/commit`);
    expect(await page.locator("#mandate-where").innerText()).toContain("(bybit_mcp_mandates, broker bybit)");
    await page.fill("#f-max-order", "200");
    await page.fill("#f-exclude", "DOGEUSDT");
    await page.fill("#f-days", "10");
    await page.getByRole("button", { name: "Review…" }).click();
    await page.waitForURL(`${origin}/mandate/commit`);
    expect(await page.locator("#summary").innerText()).toContain("never trade:    DOGEUSDT");
    expect(await rows("SELECT version FROM bybit_mcp_mandates")).toEqual([]);
    await Promise.all([page.waitForURL(`${origin}/`), page.click("#confirm-commit")]);
    const flash = await page.locator(".flash").innerText();
    mandateId = /^Committed (mandate_[0-9a-f]{32})/.exec(flash)?.[1] ?? "";
    expect(mandateId, flash).not.toBe("");
    expect(await page.locator("#mandate").innerText()).toContain("In force");
    expect(await page.locator("#mandate-where").innerText()).toContain("bybit_mcp_mandates");
    await shot("02-committed");

    const stored = await rows<{ version: number; mandate_id: string; body: string; consent_record: string | null }>("SELECT version, mandate_id, body, consent_record FROM bybit_mcp_mandates WHERE broker = 'bybit'");
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ version: 1, mandate_id: mandateId });
    const body = JSON.parse(stored[0]!.body) as { hard_caps: { max_order_notional_usd: number }; universe: { exclude_symbols: string[] } };
    expect(body.hard_caps.max_order_notional_usd).toBe(200);
    expect(body.universe.exclude_symbols).toEqual(["DOGEUSDT"]);
    expect(stored[0]!.consent_record).not.toBeNull();
    expect(readFileSync(rig.paths.mandate, "utf8")).toBe(fileMandate);
  });

  it("trips a halt after confirming into bybit_mcp_halt, then clears it", async () => {
    await page.goto(`${origin}/halt`);
    expect(await page.locator("#halt-where").innerText()).toContain("(bybit_mcp_halt, broker bybit)");
    await page.fill("#reason", "stop for the pg test");
    await page.getByRole("button", { name: "Halt…" }).click();
    await page.waitForURL(`${origin}/halt`);
    // The first click only asks.
    expect(await rows("SELECT scope FROM bybit_mcp_halt")).toEqual([]);
    await Promise.all([page.waitForNavigation(), page.click("#confirm-halt")]);
    const state = await page.locator("#halt-state").innerText();
    expect(state).toContain("Trading is HALTED");
    expect(state).toContain("by frontend: stop for the pg test");
    expect(state).toContain("bybit_mcp_halt");
    expect(await page.locator(".flash").innerText()).toContain("Halted broker bybit");
    const halt = await rows<{ scope: string; body: string }>("SELECT scope, body FROM bybit_mcp_halt");
    expect(halt.map((r) => r.scope)).toEqual(["broker:bybit"]);
    expect(JSON.parse(halt[0]!.body)).toMatchObject({ by: "frontend", reason: "stop for the pg test" });
    // This host's runtime root exists, so its HALT file is tripped too (Vibe-Trading or a files-backed server here stops).
    expect(existsSync(rig.paths.brokerHalt)).toBe(true);
    await page.goto(`${origin}/`);
    expect(await page.locator("#halt-state").innerText()).toContain("Trading is HALTED");
    await shot("03-halted");

    await page.goto(`${origin}/halt`);
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Unhalt broker bybit" }).click()]);
    expect(await page.locator("#halt-state").innerText()).toContain("Not halted");
    expect(await rows("SELECT scope FROM bybit_mcp_halt")).toEqual([]);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
  });

  it("decides an approval request another host recorded in bybit_mcp_approvals", async () => {
    const r = await rig.state.approvals.create(pausedOrder());
    await page.goto(`${origin}/`);
    expect(await page.locator("#halt-state").innerText()).toContain("1 approval request waiting");
    await page.goto(`${origin}/approvals`);
    const card = page.locator(`[data-approval="${r.id}"]`).first();
    expect(await card.innerText()).toContain("buy $1,250.00 BTCUSDT (linear)");
    await card.getByRole("button", { name: "Approve this one order" }).click();
    await page.waitForURL(`${origin}/approvals/${r.id}`);
    expect(await page.locator(".flash").innerText()).toContain(`Approved ${r.id}`);
    expect(await page.locator('[data-status="approved"]').count()).toBe(1);
    await shot("04-approved");
    const stored = await rows<{ body: string }>("SELECT body FROM bybit_mcp_approvals WHERE broker = 'bybit' AND id = $1", [r.id]);
    expect(JSON.parse(stored[0]!.body)).toMatchObject({ id: r.id, status: "approved", decided_by: "console" });
    // Not in the runtime root's files.
    expect(rig.approvals.list()).toEqual([]);
  });

  it("lists those records in the timeline, from bybit_mcp_ledger, with a verified chain", async () => {
    await page.goto(`${origin}/ledger`);
    expect(await page.locator("#ledger-where").innerText()).toContain("(bybit_mcp_ledger, broker bybit)");
    expect(await page.locator("#chain-badge").getAttribute("data-chain")).toBe("ok");
    expect(await page.locator("#chain-badge").innerText()).toContain("chain verified: 3 records");
    const kinds = await page.locator("#timeline tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-kind")));
    expect(kinds).toEqual(["halt_cleared", "halt_tripped", "mandate_committed"]);
    await shot("05-ledger");

    const ledger = await rows<{ seq: string; kind: string; record_line: string }>("SELECT seq, kind, record_line FROM bybit_mcp_ledger WHERE broker = 'bybit' ORDER BY seq");
    expect(ledger.map((r) => [Number(r.seq), r.kind])).toEqual([
      [1, "mandate_committed"],
      [2, "halt_tripped"],
      [3, "halt_cleared"],
    ]);
    const records = ledger.map((r) => JSON.parse(r.record_line) as { remote_tool: string; intent_normalized: string; audit_id: string });
    expect(records.every((r) => r.remote_tool === "console")).toBe(true);
    expect(records[1]!.intent_normalized).toBe("halt broker bybit: stop for the pg test");
    // The page shows the rows' own audit ids.
    for (const r of records) expect(await page.locator("#timeline").innerText()).toContain(r.audit_id);
    // The runtime root's ledger took none of them.
    expect(rig.ledger.tail(10)).toEqual([]);
  });

  it("walks the chain again on every load: a row edited in place shows as broken", async () => {
    await db.query("ALTER TABLE bybit_mcp_ledger DISABLE TRIGGER bybit_mcp_ledger_no_change");
    try {
      await db.query("UPDATE bybit_mcp_ledger SET chain_line = replace(chain_line, 'stop for the pg test', 'stop for another test') WHERE broker = 'bybit' AND seq = 2");
    } finally {
      await db.query("ALTER TABLE bybit_mcp_ledger ENABLE TRIGGER bybit_mcp_ledger_no_change");
    }
    await page.goto(`${origin}/ledger`);
    expect(await page.locator("#chain-badge").getAttribute("data-chain")).toBe("broken");
    expect(await page.locator("#chain-badge").innerText()).toContain("seq 2");
  });
});
