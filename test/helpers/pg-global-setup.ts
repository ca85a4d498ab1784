/**
 * vitest globalSetup (vitest.config.ts): find PostgreSQL for the run.
 *
 * - BYBIT_MCP_TEST_PG set (CI's .ci/run does it): use that database.
 * - Otherwise, when PostgreSQL is installed: start a throwaway cluster now
 *   and stop it at teardown.
 * - Otherwise: nothing; describePg skips its tests (fails them under CI=true),
 *   and the teardown prints one line naming what was skipped.
 *
 * The tests get the answer through provide/inject ("bybitMcpPg").
 */
import { relative } from "node:path";
import type { TestProject } from "vitest/node";
import { packageRoot } from "../../src/util/package-root.js";
import { PG_HINT, pgBindir, startCluster, type Cluster, type PgHarnessInfo } from "./pg-cluster.js";

interface TaskLike {
  type: string;
  name: string;
  mode?: string;
  meta?: { bybitMcpPgSkipped?: string };
  tasks?: TaskLike[];
  filepath?: string;
}

function countTests(t: TaskLike): number {
  if (t.type === "test") return 1;
  return (t.tasks ?? []).reduce((n, c) => n + countTests(c), 0);
}

function skippedSuites(t: TaskLike, found: TaskLike[]): void {
  if (t.type === "suite" && t.meta?.bybitMcpPgSkipped !== undefined) {
    found.push(t);
    return;
  }
  for (const c of t.tasks ?? []) skippedSuites(c, found);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const bindir = pgBindir();
  let cluster: Cluster | null = null;
  let info: PgHarnessInfo;
  const fromEnv = process.env.BYBIT_MCP_TEST_PG;
  if (fromEnv) {
    info = { url: fromEnv, bindir, reason: "" };
  } else if (!bindir) {
    info = { url: null, bindir: null, reason: "PostgreSQL not found" };
  } else {
    try {
      cluster = await startCluster();
      info = { url: cluster.url, bindir, reason: "" };
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).split("\n").pop();
      info = { url: null, bindir, reason: `PostgreSQL did not start (${why})` };
    }
  }
  project.provide("bybitMcpPg", info);

  return async function teardown() {
    await cluster?.destroy();
    if (info.url) return;
    // One line for the whole run, naming the files whose PostgreSQL tests did not run.
    const suites: TaskLike[] = [];
    for (const file of project.vitest.state.getFiles() as unknown as TaskLike[]) {
      const before = suites.length;
      skippedSuites(file, suites);
      for (const s of suites.slice(before)) s.filepath = file.filepath;
    }
    if (suites.length === 0) return;
    const n = suites.reduce((sum, s) => sum + countTests(s), 0);
    const files = [...new Set(suites.map((s) => relative(packageRoot(), s.filepath ?? "?")))].sort();
    console.error(`${info.reason}: skipped ${n} test${n === 1 ? "" : "s"} in ${files.join(", ")}; ${PG_HINT}`);
  };
}
