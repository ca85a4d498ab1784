/**
 * Validating Vibe-Trading's mandate (schema_version 1), pure: the file is
 * read by src/state/mandate-file.ts, so the gate does no file I/O.
 *
 * Never throws: every failure becomes `{ok: false, reason, problems}` so the
 * gate can deny with a reason. Expiry is not checked here (an expired mandate
 * is valid but paused by the gate's expiry step); the broker is.
 */
import type { FieldProblem } from "../errors.js";
import { brokerKeyProblem } from "../state/paths.js";
import { ajvProblems, schemaValidator } from "./schema.js";
import { parseIsoTimestamp } from "./time.js";
import type { Mandate, MandateLoad } from "./types.js";

const ENFORCED_SECTIONS = new Set(["hard_caps", "universe", "option_limits"]);

const HINTS: Record<string, string> = {
  "consent.consent_token_sha256": "must be 64 hex characters (a sha256 digest)",
  "consent.created_at": "must be an ISO-8601 timestamp such as 2025-06-01T12:00:00Z",
  "consent.expires_at": "must be an ISO-8601 timestamp such as 2025-06-01T12:00:00Z",
};

/** Validate a parsed mandate against schemas/mandate.schema.json and the cross-field checks. */
export function validateMandate(value: unknown, opts: { brokerKey: string }): MandateLoad {
  try {
    const validate = schemaValidator("mandate.schema.json");
    if (!validate(value)) {
      return mandateFailure(ajvProblems(validate.errors, value, unknownKeyMessage, HINTS));
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
    if (problems.length > 0) return mandateFailure(problems);
    return { ok: true, mandate: deepFreeze(structuredClone(mandate)) };
  } catch (err) {
    return mandateFailure([{ path: "(root)", message: `the mandate could not be validated: ${(err as Error).message}.` }]);
  }
}

function unknownKeyMessage(path: string, parentPath: string): string {
  if (ENFORCED_SECTIONS.has(parentPath)) return `${path} is not enforced by this version.`;
  return `${path} is not a field of mandate schema 1 as this version knows it.`;
}

export { brokerKeyProblem };

/** The failed MandateLoad for `problems`: reason "no valid mandate: <first problem> (and N more problems)." */
export function mandateFailure(problems: FieldProblem[], file?: string): MandateLoad {
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
