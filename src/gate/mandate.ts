/**
 * Loading and validating Vibe-Trading's mandate.json (schema_version 1).
 *
 * Never throws: every failure becomes `{ok: false, reason, problems}` so the
 * gate can deny with a reason. Expiry is not checked here (an expired mandate
 * is valid but paused by the gate's expiry step); the broker is.
 */
import { readFileSync, statSync } from "node:fs";
import type { FieldProblem } from "../errors.js";
import { ajvProblems, schemaValidator } from "./schema.js";
import { parseIsoTimestamp } from "./time.js";
import type { Mandate, MandateLoad } from "./types.js";

/** Larger than any real mandate; refuse to parse anything bigger. */
const MAX_MANDATE_BYTES = 1 << 20;

const ENFORCED_SECTIONS = new Set(["hard_caps", "universe", "option_limits"]);

const HINTS: Record<string, string> = {
  "consent.consent_token_sha256": "must be 64 hex characters (a sha256 digest)",
  "consent.created_at": "must be an ISO-8601 timestamp such as 2025-06-01T12:00:00Z",
  "consent.expires_at": "must be an ISO-8601 timestamp such as 2025-06-01T12:00:00Z",
};

/** Why a broker key cannot be used (empty, or a path), or null when it is fine. */
export function brokerKeyProblem(key: string): string | null {
  const k = key.trim().toLowerCase();
  if (k === "") return "the broker key is empty";
  if (k.includes("/") || k.includes("\\") || k.includes("..")) return `the broker key ${JSON.stringify(k)} is not a plain name`;
  return null;
}

/**
 * Read, parse and validate a mandate file. `nowMs` is accepted for symmetry
 * with the write path but unused: expiry is the gate's own step.
 */
export function loadMandate(file: string, opts: { brokerKey: string; nowMs?: number }): MandateLoad {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_MANDATE_BYTES) return fail([{ path: "(file)", message: `${file} is larger than 1 MiB, which no mandate is.` }], file);
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? `no mandate file at ${file}; commit a mandate in Vibe-Trading first.`
        : `${file} cannot be read (${code ?? "error"}).`;
    return fail([{ path: "(file)", message }], file);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail([{ path: "(file)", message: `${file} is not valid JSON: ${(err as Error).message}.` }], file);
  }
  const load = validateMandate(value, opts);
  return { ...load, file };
}

/** Validate a parsed mandate against schemas/mandate.schema.json and the cross-field checks. */
export function validateMandate(value: unknown, opts: { brokerKey: string }): MandateLoad {
  try {
    const validate = schemaValidator("mandate.schema.json");
    if (!validate(value)) {
      return fail(ajvProblems(validate.errors, value, unknownKeyMessage, HINTS));
    }
    const mandate = value as Mandate;
    const problems: FieldProblem[] = [];
    const created = parseIsoTimestamp(mandate.consent.created_at);
    const expires = parseIsoTimestamp(mandate.consent.expires_at);
    if (created !== null && expires !== null && expires <= created) {
      problems.push({
        path: "consent.expires_at",
        message: `consent.expires_at (${mandate.consent.expires_at}) must be after consent.created_at (${mandate.consent.created_at}).`,
      });
    }
    const keyProblem = brokerKeyProblem(opts.brokerKey);
    const want = opts.brokerKey.trim().toLowerCase();
    const have = mandate.consent.broker.trim().toLowerCase();
    if (keyProblem) {
      problems.push({ path: "consent.broker", message: `BYBIT_BROKER_KEY is unusable: ${keyProblem}.` });
    } else if (have !== want) {
      problems.push({
        path: "consent.broker",
        message: `consent.broker is ${JSON.stringify(mandate.consent.broker)} but this server trades for broker ${JSON.stringify(want)} (BYBIT_BROKER_KEY).`,
      });
    }
    if (problems.length > 0) return fail(problems);
    return { ok: true, mandate: deepFreeze(structuredClone(mandate)) };
  } catch (err) {
    return fail([{ path: "(root)", message: `the mandate could not be validated: ${(err as Error).message}.` }]);
  }
}

function unknownKeyMessage(path: string, parentPath: string): string {
  if (ENFORCED_SECTIONS.has(parentPath)) return `${path} is not enforced by this version.`;
  return `${path} is not a field of mandate schema 1 as this version knows it.`;
}

function fail(problems: FieldProblem[], file?: string): MandateLoad {
  const first = problems[0]?.message ?? "the mandate is invalid.";
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
  const reason = `no valid mandate: ${first.replace(/\.$/, "")}${more}.`;
  return file === undefined ? { ok: false, reason, problems } : { ok: false, reason, problems, file };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
