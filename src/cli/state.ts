/**
 * The person's commands (halt, unhalt, approvals, mandate, audit, the
 * console) against either state backend: the runtime root's files, or the
 * shared PostgreSQL state when BYBIT_MCP_STATE is a postgres:// URL. The
 * commands say what they did in the backend's own words (`where`).
 */
import { existsSync } from "node:fs";
import { configSecrets, type Config } from "../config.js";
import type { HaltState, MandateLoad } from "../gate/types.js";
import { AuditLedger, type AuditInput, type AuditRecord, type VerifyResult } from "../state/audit.js";
import { ApprovalStore, asyncApprovals, type ApprovalsStore } from "../state/approvals.js";
import { commitMandate, currentMandate, findConsentRecord, type CommitOptions, type CommitOutcome, type MandateTerms } from "../state/consent.js";
import { clearHalt, readHalt, tripHalt } from "../state/halt.js";
import { withOrderLock } from "../state/lock.js";
import { loadMandate } from "../state/mandate-file.js";
import { runtimePaths, type RuntimePaths } from "../state/paths.js";
import type { PgState } from "../state/pg/store.js";

export type HaltScope = "global" | "broker";

export interface CliState {
  backend: "files" | "postgres";
  broker: string;
  paths: RuntimePaths;
  /** Where a switch, the mandate or the ledger lives, for what the command prints. */
  where: { halt(scope: HaltScope): string; mandate: string; ledger: string };
  halt: {
    read(): Promise<HaltState>;
    isSet(scope: HaltScope): Promise<boolean>;
    trip(scope: HaltScope, by: "cli" | "frontend", reason: string): Promise<void>;
    clear(scope: HaltScope): Promise<boolean>;
  };
  ledger: {
    append(input: AuditInput): Promise<AuditRecord>;
    tailLines(n: number, kind?: string): Promise<string[]>;
    tail(n: number, kind?: string): Promise<AuditRecord[]>;
    verify(): Promise<VerifyResult>;
  };
  mandate: {
    load(): Promise<MandateLoad>;
    /** The id in force and why it blocks a commit without --replace. */
    current(nowMs: number): Promise<{ id: string | null; blocking: string | null }>;
    commit(terms: MandateTerms, opts: Omit<CommitOptions, "ledger">): Promise<CommitOutcome>;
    /** Where the consent record of `mandateId` is, or null. */
    consentRecord(mandateId: string): Promise<string | null>;
  };
  approvals: ApprovalsStore;
  lock: { run<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> };
  /** The shared state, when that is the backend (audit export reads it). */
  pg: PgState | null;
  close(): Promise<void>;
}

/** The state for `broker` under this configuration. */
export async function cliState(config: Config, broker: string): Promise<CliState> {
  const paths = runtimePaths(config.runtimeRoot, broker);
  if (config.stateUrl !== null) return pgCliState(config, broker, paths);
  const ledger = new AuditLedger(paths, { extraSecrets: configSecrets(config) });
  const haltFile = (scope: HaltScope) => (scope === "global" ? paths.globalHalt : paths.brokerHalt);
  const async = <T>(fn: () => T): Promise<T> => new Promise((resolve) => resolve(fn()));
  return {
    backend: "files",
    broker,
    paths,
    where: { halt: haltFile, mandate: paths.mandate, ledger: paths.audit },
    halt: {
      read: () => async(() => readHalt(paths)),
      isSet: (scope) => async(() => (scope === "global" ? readHalt(paths).global : readHalt(paths).broker)),
      trip: (scope, by, reason) => async(() => tripHalt(paths, { scope, by, reason })),
      clear: (scope) => async(() => clearHalt(paths, scope)),
    },
    ledger: {
      append: (input) => async(() => ledger.append(input)),
      tailLines: (n, kind) => async(() => ledger.tailLines(n, kind)),
      tail: (n, kind) => async(() => ledger.tail(n, kind)),
      verify: () => async(() => ledger.verify()),
    },
    mandate: {
      load: () => async(() => loadMandate(paths.mandate, { brokerKey: broker })),
      current: (nowMs) => async(() => currentMandate(paths, nowMs)),
      commit: (terms, opts) => commitMandate(paths, terms, { ...opts, ledger }),
      consentRecord: (id) => async(() => findConsentRecord(paths, id)?.file ?? null),
    },
    approvals: asyncApprovals(new ApprovalStore(paths, { ttlMs: config.approvalTtlMs })),
    lock: { run: (timeoutMs, fn) => withOrderLock(paths, { timeoutMs }, fn) },
    pg: null,
    close: () => Promise.resolve(),
  };
}

async function pgCliState(config: Config, broker: string, paths: RuntimePaths): Promise<CliState> {
  const { pgStateFor } = await import("../compose.js");
  const pg = pgStateFor({ ...config, brokerKey: broker });
  const table = (t: string) => `${pg.opts.safeUrl} (${t}, broker ${broker})`;
  return {
    backend: "postgres",
    broker,
    paths,
    where: { halt: (scope) => `${pg.opts.safeUrl} (bybit_mcp_halt, ${scope === "global" ? "global" : `broker ${broker}`})`, mandate: table("bybit_mcp_mandates"), ledger: table("bybit_mcp_ledger") },
    halt: {
      read: () => pg.readHalt(),
      isSet: async (scope) => {
        const h = await pg.readHalt();
        return scope === "global" ? h.global : h.broker;
      },
      // This host's HALT file too, when its runtime root exists: Vibe-Trading or a files-backed server here stops as well.
      trip: async (scope, by, reason) => {
        await pg.tripHalt(scope, by, reason);
        if (existsSync(config.runtimeRoot)) tripHalt(paths, { scope, by, reason });
      },
      clear: async (scope) => {
        const local = existsSync(config.runtimeRoot) && clearHalt(paths, scope);
        return (await pg.clearHalt(scope)) || local;
      },
    },
    ledger: {
      append: async (input) => (await pg.append([input]))[0] as AuditRecord,
      tailLines: async (n, kind) => (await pg.tail(n, kind)).map((e) => e.line),
      tail: async (n, kind) => (await pg.tail(n, kind)).map((e) => e.record),
      verify: () => pg.verify(),
    },
    mandate: {
      load: async () => (await pg.readMandate()).load,
      current: async (nowMs) => pg.currentMandate(nowMs),
      commit: (terms, opts) => pg.commitMandate(terms, opts),
      consentRecord: async (id) => ((await pg.consentRecordOf(id)) ? `${table("bybit_mcp_mandates")}, consent_record of ${id}` : null),
    },
    approvals: pg.approvals(),
    lock: { run: (timeoutMs, fn) => pg.runLocked(timeoutMs, fn) },
    pg,
    close: () => pg.close(),
  };
}
