import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;
let cachedVersion: string | undefined;

/**
 * The folder holding this package's package.json, found by walking up from
 * this module. It is the same whether the code runs from src/ (tests) or
 * dist/src/ (the built server), so rules/ and schemas/ resolve in both.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "bybit-mcp") {
        cached = dir;
        cachedVersion = (pkg as { version?: string }).version;
        return dir;
      }
    } catch {
      // not here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("bybit-mcp package root not found");
    dir = parent;
  }
}

/** The default rule directory: <package root>/rules, from src/ and dist/src/ alike. */
export function defaultRulesDir(): string {
  return join(packageRoot(), "rules");
}

/** The package version from package.json. */
export function packageVersion(): string {
  packageRoot();
  return cachedVersion ?? "0.0.0";
}
