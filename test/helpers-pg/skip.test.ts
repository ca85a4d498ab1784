/**
 * The harness in a vitest run of its own (test/fixtures/pg-skip): without
 * PostgreSQL the tests that need it are skipped with one line naming them,
 * under CI=true they fail, and with the binaries but no BYBIT_MCP_TEST_PG the
 * globalSetup starts (and removes) a cluster itself.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import { packageRoot } from "../../src/util/package-root.js";
import { describePgCluster, pgTestUrl } from "../helpers/pg.js";

const VITEST = join(packageRoot(), "node_modules", "vitest", "vitest.mjs");
const CONFIG = join(packageRoot(), "test", "fixtures", "pg-skip", "vitest.config.ts");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runFixture(env: Record<string, string>): Promise<Run> {
  // The outer run's own variables would make the inner vitest think it is a worker.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|NODE_ENV$|BYBIT_MCP_TEST_PG$|BYBIT_MCP_PG_BIN$|CI$)/.test(k)),
  ) as Record<string, string>;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITEST, "run", "--config", CONFIG], {
      cwd: packageRoot(),
      env: { ...base, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const ONE_LINE = /^PostgreSQL not found: skipped (\d+) tests in (.+); install postgresql or set BYBIT_MCP_TEST_PG$/;

it("without PostgreSQL: the tests that need it are skipped, with one plain line on stderr naming them", async () => {
  const r = await runFixture({ BYBIT_MCP_PG_BIN: "/nonexistent" });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const lines = r.stderr.split("\n").filter((l) => l.includes("PostgreSQL"));
  expect(lines).toHaveLength(1);
  const m = ONE_LINE.exec(lines[0]!);
  expect(m, lines[0]).not.toBeNull();
  expect(m![1]).toBe("3");
  expect(m![2]).toBe("test/fixtures/pg-skip/needs-pg.fixture.ts");
  expect(r.stdout).toMatch(/1 passed \| 3 skipped/);
}, 60_000);

it("without PostgreSQL under CI=true: those tests fail instead", async () => {
  const r = await runFixture({ BYBIT_MCP_PG_BIN: "/nonexistent", CI: "true" });
  expect(r.status).toBe(1);
  expect(r.stdout + r.stderr).toMatch(/PostgreSQL not found: under CI=true the PostgreSQL tests must run/);
  // One failing test for each of the two blocks; their own tests are listed, not run.
  expect(r.stdout).toMatch(/2 failed \| 1 passed \| 3 skipped/);
}, 60_000);

describePgCluster("with the binaries", () => {
  it("and no BYBIT_MCP_TEST_PG: the globalSetup starts a cluster for the run and removes it after", async () => {
    const r = await runFixture({});
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 passed/);
    expect(r.stderr).not.toMatch(/skipped/);
    const url = /fixture database: (\S+)/.exec(r.stdout)?.[1];
    expect(url).toBeDefined();
    // The outer run's database is not the one the inner run made; and that one is gone with the run.
    expect(url).not.toBe(pgTestUrl());
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await expect(c.connect()).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});
