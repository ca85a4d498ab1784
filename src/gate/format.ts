/**
 * How values read in reasons and tables: money as "$1,250.00", percentages
 * "12.50%", leverage "2.50x", lists comma-separated, unknown as "unknown".
 * Also the ${...} message templates of rule files, and the plain dot-path
 * resolver every fact lookup goes through.
 */
import { decFormat, isDecimal, toDecimalString } from "../util/decimal.js";

export type Unit = "usd" | "pct" | "ratio" | "count" | "number" | "text";
export const UNITS: readonly Unit[] = ["usd", "pct", "ratio", "count", "number", "text"];

const SPLIT = new Map<string, string[]>();

/** Thrown by dotPath for a path that does not exist in the fact (a typo in a rule). */
export class UnknownPathError extends Error {}

/**
 * Plain dot-path lookup ("hard_caps.max_leverage"). A null on the way yields
 * null (an invalid mandate has no caps); a missing key throws, so a rule that
 * names a fact path that does not exist never silently compares `undefined`.
 */
export function dotPath(value: unknown, path: string): unknown {
  let segments = SPLIT.get(path);
  if (!segments) {
    segments = path.split(".");
    if (SPLIT.size < 10_000) SPLIT.set(path, segments);
  }
  let cur: unknown = value;
  for (const seg of segments) {
    if (cur === null) return null;
    if (typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, seg)) {
      throw new UnknownPathError(`fact path "${path}" does not exist (at "${seg}")`);
    }
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** A value for a person, in the given unit. */
export function formatValue(value: unknown, unit: Unit = "text"): string {
  if (value === null || value === undefined) return "unknown";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map((v) => formatValue(v, unit)).join(", ");
  const decimal = (typeof value === "number" || typeof value === "string") && isDecimal(value) ? toDecimalString(value) : null;
  if (decimal === null) return typeof value === "object" ? JSON.stringify(value) : String(value);
  switch (unit) {
    case "usd":
      return decimal.startsWith("-") ? `-$${decFormat(decimal.slice(1), 2)}` : `$${decFormat(decimal, 2)}`;
    case "pct":
      return `${decFormat(decimal, 2)}%`;
    case "ratio":
      return `${decFormat(decimal, 2)}x`;
    case "count":
      return decFormat(decimal, 0);
    case "number":
    case "text":
      return decimal;
  }
}

const TEMPLATE_RE = /\$\{([A-Za-z0-9_.]+)(?:\|([a-z]+))?\}/g;

export interface TemplateScope {
  facts: Record<string, unknown>;
  params: Record<string, unknown>;
  limit: unknown;
  attempted: unknown;
  overage: unknown;
  unit: Unit;
}

/** Fill a rule message: ${limit} ${attempted} ${overage} (in the report unit), ${params.X}, ${fact.path}, each optionally ${x|usd}. */
export function renderTemplate(template: string, scope: TemplateScope): string {
  return template.replace(TEMPLATE_RE, (_m, name: string, fmt: string | undefined) => {
    const unit = (fmt as Unit | undefined) ?? undefined;
    if (name === "limit" || name === "attempted" || name === "overage") {
      return formatValue(scope[name], unit ?? scope.unit);
    }
    try {
      const value = name.startsWith("params.") ? scope.params[name.slice(7)] : dotPath(scope.facts, name);
      return formatValue(value, unit ?? "text");
    } catch {
      return "?";
    }
  });
}

/** The names a template refers to (for lint). */
export function templateRefs(template: string): { name: string; unit: string | undefined }[] {
  return [...template.matchAll(TEMPLATE_RE)].map((m) => ({ name: m[1] ?? "", unit: m[2] }));
}
