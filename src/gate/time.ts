/**
 * ISO-8601 timestamps as Vibe-Trading writes and Python's
 * datetime.fromisoformat reads them: "2025-06-01T12:00:00.123456Z",
 * "+00:00" offsets, or no offset at all, which means UTC (never local time,
 * which is what Date.parse would assume).
 */

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Epoch milliseconds for an ISO-8601 timestamp (no offset = UTC), or null when it is not one. */
export function parseIsoTimestamp(text: unknown): number | null {
  if (typeof text !== "string") return null;
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls Feb 30 over to March: refuse dates that do not exist.
  if (new Date(ms).getUTCDate() !== day) return null;
  const offset = offsetMinutes(m[8]);
  return offset === null ? null : ms - offset * 60_000;
}

/** The offset in minutes, or null when it is no real offset: Python's fromisoformat refuses beyond ±23:59 (e.g. -99:99, +24:00). */
function offsetMinutes(zone: string | undefined): number | null {
  if (!zone || zone === "Z" || zone === "z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const mins = Number(digits.slice(2, 4));
  if (hours > 23 || mins > 59) return null;
  const minutes = hours * 60 + mins;
  return zone.startsWith("-") ? -minutes : minutes;
}

/** "YYYY-MM-DD" of the UTC day holding `ms`. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** ISO-8601 UTC with milliseconds and "Z". */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
