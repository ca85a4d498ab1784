/**
 * Small helpers over node:util parseArgs so every command reports bad
 * usage the same way (UsageError -> one line, exit 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
}

export function intOption(command: string, name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${command}: --${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return Number(value);
}
