import { describe, expect, it } from "vitest";
import { AuditError } from "../src/errors.js";
import { createLogger } from "../src/log.js";
import { redact } from "../src/state/redact.js";

describe("createLogger", () => {
  it("writes one JSON line per record, keeps error messages through redaction, and drops secrets", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (l) => lines.push(l), scrub: (r) => redact(r, ["s3cr3t-value"]).value });
    log.debug("hidden");
    log.error("audit failed", { error: new AuditError("disk full"), nested: { cause: new Error("inner") }, note: "key=s3cr3t-value" });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, any>;
    expect(rec).toMatchObject({ level: "error", msg: "audit failed", error: { name: "AuditError", message: "disk full", code: "E_AUDIT" } });
    expect(rec.nested.cause.message).toBe("inner");
    expect(lines[0]).not.toContain("s3cr3t-value");
    expect(lines[0]!.endsWith("\n")).toBe(true);
  });
});
