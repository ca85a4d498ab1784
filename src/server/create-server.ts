/**
 * createServer(deps) -> {server, close}: one McpServer with every tool
 * registered. Transports (stdio, http) connect it; the CLI wires deps.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { allTools } from "../tools/index.js";
import { errorFromException } from "../tools/common.js";
import { packageVersion } from "../util/package-root.js";
import { scrubStrings } from "../state/redact.js";
import { configSecrets } from "../config.js";
import type { ServerDeps } from "./deps.js";

export const SERVER_INSTRUCTIONS =
  "Bybit v5 market data, account reads and mandate-gated trading. Every write is checked against the user's committed mandate " +
  "and may come back status \"blocked\" (deny or pause_for_reauth): that is the user's limit, not an error to work around. " +
  "Use bybit_check_order to ask first and bybit_get_mandate_status for caps and headroom.";

/**
 * The SDK validates elicitation answers with a JSON Schema validator and
 * builds an Ajv instance for it at construction. This server never elicits,
 * so it passes one that refuses, and start-up skips compiling Ajv's meta-schemas.
 */
const noElicitation: jsonSchemaValidator = {
  getValidator: () => () => ({ valid: false, data: undefined, errorMessage: "bybit-mcp does not use elicitation" }),
};

export function createServer(deps: ServerDeps): { server: McpServer; close: () => Promise<void> } {
  const server = new McpServer(
    { name: "bybit-mcp", version: packageVersion() },
    { capabilities: { tools: {} }, instructions: SERVER_INSTRUCTIONS, jsonSchemaValidator: noElicitation },
  );
  const secrets = configSecrets(deps.config);
  for (const tool of allTools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: tool.annotations },
      async (args: unknown) => {
        let result;
        try {
          result = await (tool.handler as (a: unknown, d: ServerDeps) => ReturnType<typeof tool.handler>)(args, deps);
        } catch (err) {
          deps.logger.error("tool failed", { tool: tool.name, error: err });
          result = errorFromException(err);
        }
        // Last line of defence: nothing an exchange echoed (10004 repeats the API key) leaves with a secret in it.
        return scrubStrings(result, secrets);
      },
    );
  }
  return { server, close: () => server.close() };
}
