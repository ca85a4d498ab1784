/**
 * Build tooling (not shipped): bundles the CLI into dist/bin with esbuild.
 * One minified, code-split ESM bundle starts several times faster than
 * hundreds of node_modules files, and lazy commands stay in their own chunks.
 *
 * Modules replaced by stubs, all parsed before `initialize` could be
 * answered and all unused here:
 * - zod's 40-odd locales (a third of those bytes): nothing calls z.locales
 *   and English messages are built in;
 * - the server SDK's Node shims, whose default JSON Schema validator inlines
 *   Ajv and ajv-formats (~290 KB): it checks form-mode elicitation answers,
 *   and createServer passes its own validator because this server elicits in
 *   URL mode only. The gate's own Ajv use is untouched and loads with the
 *   write path;
 * - for the demo's 1.x client chunk: that SDK's zod v3 compatibility
 *   (zod/v3, zod-to-json-schema); every schema here is zod 4.
 */
import { build, type Plugin } from "esbuild";
import { join } from "node:path";
import { packageRoot } from "../util/package-root.js";

const STUBS: Record<string, string> = {
  "zod-locales": "export {};",
  "server-shims":
    "export { default as process } from 'node:process';\n" +
    "export class DefaultJsonSchemaValidator { constructor() { throw new Error('bybit-mcp passes its own jsonSchemaValidator'); } }",
  "sdk-zod-v3": "export function object() { throw new Error('bybit-mcp has no zod v3 schemas'); }",
  "sdk-zod-to-json-schema": "export function zodToJsonSchema() { throw new Error('bybit-mcp has no zod v3 schemas'); }",
};

const stubs: Plugin = {
  name: "stubs",
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (args) =>
      args.importer.includes("/node_modules/zod/") ? { path: "zod-locales", namespace: "stub" } : undefined,
    );
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({ path: "server-shims", namespace: "stub" }));
    // The SDK's compatibility layer for zod v3 schemas; every schema here is zod 4.
    b.onResolve({ filter: /^zod\/v3$/ }, (args) =>
      args.importer.includes("/node_modules/@modelcontextprotocol/sdk/") ? { path: "sdk-zod-v3", namespace: "stub" } : undefined,
    );
    b.onResolve({ filter: /^zod-to-json-schema$/ }, (args) =>
      args.importer.includes("/node_modules/@modelcontextprotocol/sdk/") ? { path: "sdk-zod-to-json-schema", namespace: "stub" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "stub" }, (args) => ({ contents: STUBS[args.path] ?? "", loader: "js", resolveDir: root }));
  },
};

const root = packageRoot();
await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outdir: join(root, "dist", "bin"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  keepNames: true,
  external: ["fs-ext"],
  logLevel: "warning",
  plugins: [stubs],
  // CommonJS dependencies (ajv, json-rules-engine) call require() for Node built-ins.
  banner: { js: "import { createRequire as __bmcpCreateRequire } from 'node:module'; const require = __bmcpCreateRequire(import.meta.url);" },
});
