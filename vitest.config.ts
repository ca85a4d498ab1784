// `npm test` runs `vitest run --dir test` with this config: the globalSetup finds (or starts) PostgreSQL for the run.
// Two projects: every test file with the clients speaking 2025-11-25 (the 1.x SDK's Client: Claude Desktop,
// Vibe-Trading, the Inspector), and the end-to-end files again with the v2 SDK's Client pinned to 2026-07-28
// (test/helpers/mcp.ts reads BYBIT_MCP_TEST_PROTOCOL).
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // dist/ holds the compiled copies of the tests after a build: a bare `vitest run test/x` would run them twice.
    exclude: [...configDefaults.exclude, "dist/**"],
    globalSetup: ["test/helpers/pg-global-setup.ts"],
    projects: [
      { extends: true, test: { name: "2025-11-25" } },
      { extends: true, test: { name: "2026-07-28", include: ["**/e2e/**/*.test.ts", "**/tools/output-schema.test.ts"], env: { BYBIT_MCP_TEST_PROTOCOL: "2026-07-28" } } },
    ],
  },
});
