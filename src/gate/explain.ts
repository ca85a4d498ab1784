/** A Decision as text for a person: the verdict, then one block per rule with each condition. */
import { formatValue } from "./format.js";
import type { Decision } from "./types.js";

const STATUS: Record<string, string> = { passed: "pass", failed: "FAIL", shadow_failed: "fail (shadow)", not_evaluated: "-" };

export function renderDecision(d: Decision): string {
  const lines = [
    `decision:  ${d.decision}${d.decided_by ? ` (decided by ${d.decided_by})` : ""}${d.requires_reauthorization ? ", requires re-authorization" : ""}`,
    `reason:    ${d.reason}`,
    `intent:    ${d.intent_normalized}`,
    `checked:   ${d.checked_limits.join(", ")}`,
    `revision:  ${d.rules_revision}`,
  ];
  if (d.breach) {
    const b = d.breach;
    lines.push(`breach:    ${b.limit} (${b.kind}) limit ${formatValue(b.limit_value)}, attempted ${formatValue(b.attempted_value)}, overage ${formatValue(b.overage)}`);
  }
  lines.push("");
  const rows: string[][] = [["rule", "limit", "status", "outcome"]];
  for (const e of d.explanation) rows.push([e.id, e.checked_limit, STATUS[e.status] ?? e.status, `${e.outcome}${e.enforcement === "shadow" ? " (shadow)" : ""}`]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()}`;
  lines.push(fmt(rows[0] ?? []));
  d.explanation.forEach((e, idx) => {
    lines.push(fmt(rows[idx + 1] ?? []));
    for (const c of e.conditions) {
      const mark = c.result === true ? "true " : c.result === false ? "false" : "n/a  ";
      const threshold = c.valueRef ? `${c.valueRef} = ${JSON.stringify(c.value)}` : JSON.stringify(c.value);
      lines.push(`      ${mark} ${c.where ?? ""} ${c.fact}${c.path ? `.${c.path}` : ""} = ${JSON.stringify(c.factValue)}  ${c.operator}  ${threshold}`);
    }
    if (e.message && e.status !== "passed") lines.push(`      -> ${e.message}`);
  });
  return `${lines.join("\n")}\n`;
}
