/**
 * createServer(deps) -> {server, close}: one McpServer (MCP SDK v2) with
 * every tool registered. The transports (stdio, http) build one per
 * connection or request and serve it to 2025-11-25 and 2026-07-28 clients
 * alike; the CLI wires deps.
 */
import { McpServer, type InputRequiredResult, type jsonSchemaValidator } from "@modelcontextprotocol/server";
import type { CallToolResult } from "../tools/result.js";
import { allTools } from "../tools/index.js";
import { errorFromException, type ToolDef } from "../tools/common.js";
import { listed } from "../tools/output.js";
import { packageVersion } from "../util/package-root.js";
import { scrubStrings } from "../state/redact.js";
import { configSecrets } from "../config.js";
import type { ServerDeps } from "./deps.js";
import { InputRequiredSignal, toolContext } from "./elicit.js";

export const SERVER_INSTRUCTIONS =
  "Bybit v5 market data, account reads and mandate-gated trading. Every write is checked against the user's committed mandate " +
  "and may come back status \"blocked\" (deny or pause_for_reauth): that is the user's limit, not an error to work around. " +
  "Use bybit_check_order to ask first and bybit_get_mandate_status for caps and headroom.";

/**
 * The SDK validates form-mode elicitation answers with a JSON Schema
 * validator (Ajv by default). This server only elicits in URL mode, whose
 * answer has no content, so it passes one that refuses, and the bundle
 * leaves the SDK's inlined Ajv out (src/build/bundle.ts).
 */
const urlModeOnly: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: "bybit-mcp elicits in URL mode only" }),
};

/** Tool calls still running in this process, across servers: shutdown waits for them (an order's ledger record). */
const running = new Set<Promise<unknown>>();

/** Resolves once every tool call started so far has finished. */
export async function toolCallsSettled(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running]);
}

export interface CreateServerOptions {
  /** The tools to serve; every tool by default. Tests pass their own to reach the context. */
  tools?: ToolDef[];
}

export function createServer(deps: ServerDeps, opts: CreateServerOptions = {}): { server: McpServer; close: () => Promise<void> } {
  const server = new McpServer(
    { name: "bybit-mcp", version: packageVersion() },
    // listChanged false: the tool set never changes while a server runs.
    { capabilities: { tools: { listChanged: false } }, instructions: SERVER_INSTRUCTIONS, jsonSchemaValidator: urlModeOnly },
  );
  const secrets = configSecrets(deps.config);
  for (const tool of opts.tools ?? allTools) {
    const handler = tool.handler as (a: unknown, d: ServerDeps, c: ReturnType<typeof toolContext>) => Promise<CallToolResult>;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: listed(tool.input, "input"),
        outputSchema: listed(tool.output, "output"),
        annotations: tool.annotations,
      },
      async (args: unknown, ctx): Promise<CallToolResult | InputRequiredResult> => {
        let result: CallToolResult;
        const call = handler(args, deps, toolContext(server, ctx));
        running.add(call);
        try {
          result = await call;
        } catch (err) {
          if (err instanceof InputRequiredSignal) return err.result;
          deps.logger.error("tool failed", { tool: tool.name, error: err });
          result = errorFromException(err);
        } finally {
          running.delete(call);
        }
        // Last line of defence: nothing an exchange echoed (10004 repeats the API key) leaves with a secret in it.
        return scrubStrings(result, secrets);
      },
    );
  }
  return { server, close: () => server.close() };
}
