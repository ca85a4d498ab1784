/** The state layer: runtime paths, kill switch, trade counter, order lock, redaction, audit ledger. */
export { resolveRuntimeRoot, normalizeBrokerKey, runtimePaths, type RuntimePaths } from "./paths.js";
export { readHalt, readHaltAsync, tripHalt, clearHalt } from "./halt.js";
export { readTradesToday, readTradesTodayAsync, incrementTradesToday, incrementTradesTodayAsync, releaseTradesToday, utcDate } from "./counter.js";
export { readStateFile, readStateFileAsync, fileKind, type StateRead, type StateReadFailure, type StateReadOptions } from "./read-file.js";
export { withOrderLock } from "./lock.js";
export { redact, scrubText, isSensitiveKey, REDACTED } from "./redact.js";
export {
  AuditLedger,
  buildRecord,
  AUDIT_KINDS,
  AUDIT_OUTCOMES,
  type AuditKind,
  type AuditOutcome,
  type AuditInput,
  type AuditRecord,
  type VerifyResult,
} from "./audit.js";
export { canonicalJson, pyDumps, parsePyJson, PyFloat } from "./pyjson.js";
export { recordHash, GENESIS } from "./chain.js";
export {
  ApprovalStore,
  orderHash,
  APPROVAL_ID_RE,
  APPROVAL_STATUSES,
  DEFAULT_APPROVAL_TTL_MS,
  type ApprovalStatus,
  type ApprovalOrder,
  type ApprovalBreach,
  type ApprovalRequest,
  type ApprovalInput,
} from "./approvals.js";
