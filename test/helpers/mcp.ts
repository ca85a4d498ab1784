/**
 * Drive the BUILT server (dist/) with the SDK's real Client over stdio,
 * capturing its stderr so tests can check logs and the secret canary.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, type CallToolResult, type ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/util/package-root.js";

/** The shipped entry point: the esbuild bundle that `bin` points at. */
export const CLI = join(packageRoot(), "dist", "bin", "main.js");

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` (npm test does it first)");
}

export interface McpHandle {
  client: Client;
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
}

export async function connect(env: Record<string, string>, args: string[] = [], opts: ConnectOptions = {}): Promise<McpHandle> {
  assertBuilt();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? "/nonexistent", ...env },
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: "bybit-mcp-test", version: "0.0.0" }, opts.capabilities ? { capabilities: opts.capabilities } : undefined);
  const onElicit = opts.onElicit;
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, async (req) => ({ action: await onElicit(req.params as { url?: string; message?: string }) }));
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => err,
    call: async (name, a = {}) => (await client.callTool({ name, arguments: a })) as CallToolResult & { structuredContent?: Record<string, unknown> },
    close: () => client.close(),
  };
}
