/**
 * The stdio transport: stdout carries protocol only. Exits cleanly when
 * stdin ends, on SIGINT and on SIGTERM.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

export async function serveStdio(server: McpServer, onClose: () => Promise<void>): Promise<void> {
  const transport = new StdioServerTransport();
  let closing = false;
  const done = new Promise<void>((resolve) => {
    const shutdown = () => {
      if (closing) return;
      closing = true;
      onClose()
        .catch((err: unknown) => process.stderr.write(`${JSON.stringify({ level: "error", msg: "shutdown failed", error: String(err) })}\n`))
        .finally(resolve);
    };
    process.stdin.once("end", shutdown);
    process.stdin.once("close", shutdown);
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
    transport.onclose = shutdown;
  });
  await server.connect(transport);
  await done;
}
