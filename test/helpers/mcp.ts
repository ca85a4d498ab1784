/**
 * Drive the BUILT server (dist/) with the SDK's real Client over stdio,
 * capturing its stderr so tests can check logs and the secret canary.
 *
 * Which client: the 1.x SDK's (protocol 2025-11-25, what Claude Desktop and
 * Vibe-Trading speak) by default; with BYBIT_MCP_TEST_PROTOCOL=2026-07-28
 * the v2 SDK's Client pinned to 2026-07-28 (`npm test` runs the e2e files
 * both ways). A test that is about one protocol passes `protocol`.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client as Client2026 } from "@modelcontextprotocol/client";
import { StdioClientTransport as Stdio2026 } from "@modelcontextprotocol/client/stdio";
import { ElicitRequestSchema, type CallToolResult, type ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/util/package-root.js";

/** The shipped entry point: the esbuild bundle that `bin` points at. */
export const CLI = join(packageRoot(), "dist", "bin", "main.js");

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
}

/**
 * Typed as the 1.x Client: the tests use only callTool, listTools and close,
 * which the v2 Client has with the same shapes.
 */
export type TestClient = Client;

export type Protocol = "2025-11-25" | "2026-07-28";

/** The protocol this run's clients speak (BYBIT_MCP_TEST_PROTOCOL). */
export function testProtocol(): Protocol {
  const p = process.env.BYBIT_MCP_TEST_PROTOCOL ?? "2025-11-25";
  if (p !== "2025-11-25" && p !== "2026-07-28") throw new Error(`BYBIT_MCP_TEST_PROTOCOL must be 2025-11-25 or 2026-07-28, not ${p}`);
  return p;
}

export interface McpHandle {
  client: TestClient;
  /** The protocol this client negotiated. */
  protocol: Protocol;
  /** The server process, for a test that kills it. */
  pid: number | null;
  stderr: () => string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult & { structuredContent?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Client capabilities to declare, e.g. `{ elicitation: { url: {} } }`. */
  capabilities?: ClientCapabilities;
  /** Answers the server's elicitation/create requests (needs capabilities.elicitation). */
  onElicit?: (params: { url?: string; message?: string }) => Promise<"accept" | "decline" | "cancel">;
  /** Pin the client's protocol (default: this run's, see testProtocol()). */
  protocol?: Protocol;
}

export async function connect(env: Record<string, string>, args: string[] = [], opts: ConnectOptions = {}): Promise<McpHandle> {
  assertBuilt();
  const params = { command: process.execPath, args: [CLI, ...args], env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? "/nonexistent", ...env }, stderr: "pipe" as const };
  const protocol = opts.protocol ?? testProtocol();
  let err = "";
  const collect = (d: Buffer) => {
    err += d.toString();
  };
  const handle = (client: TestClient, pid: number | null): McpHandle => ({
    client,
    protocol,
    pid,
    stderr: () => err,
    call: async (name, a = {}) => (await client.callTool({ name, arguments: a })) as CallToolResult & { structuredContent?: Record<string, unknown> },
    close: () => client.close(),
  });
  if (protocol === "2026-07-28") {
    const transport = new Stdio2026(params);
    transport.stderr?.on("data", collect);
    const options = { ...(opts.capabilities ? { capabilities: opts.capabilities } : {}), versionNegotiation: { mode: { pin: "2026-07-28" } } } as ConstructorParameters<typeof Client2026>[1];
    const client = new Client2026({ name: "bybit-mcp-test", version: "0.0.0" }, options);
    const onElicit = opts.onElicit;
    if (onElicit) client.setRequestHandler("elicitation/create", async (req) => ({ action: await onElicit(req.params as { url?: string; message?: string }) }));
    await client.connect(transport);
    if (client.getProtocolEra() !== "modern") throw new Error("the 2026-07-28 client did not negotiate the modern protocol");
    return handle(client as unknown as TestClient, transport.pid);
  }
  const transport = new StdioClientTransport(params);
  transport.stderr?.on("data", collect);
  const client = new Client({ name: "bybit-mcp-test", version: "0.0.0" }, opts.capabilities ? { capabilities: opts.capabilities } : undefined);
  const onElicit = opts.onElicit;
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => ({ action: await onElicit(req.params as { url?: string; message?: string }) }));
  await client.connect(transport);
  return handle(client, transport.pid);
}
