/**
 * The stdio transport: stdout carries protocol only. The SDK's serveStdio
 * decides the era from the opening message (2025 `initialize` or a 2026
 * request) and serves one server from the factory for the connection.
 * Resolves when stdin ends, on SIGINT and on SIGTERM, after onClose.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { serveStdio as sdkServeStdio } from "@modelcontextprotocol/server/stdio";

export async function serveStdio(newServer: () => McpServer, onClose: () => Promise<void>, onError: (err: Error) => void = () => {}): Promise<void> {
  const handle = sdkServeStdio(() => newServer(), { legacy: "serve", onerror: onError });
  await new Promise<void>((resolve) => {
    let closing = false;
    const shutdown = () => {
      if (closing) return;
      closing = true;
      process.stdin.off("end", shutdown);
      process.stdin.off("close", shutdown);
      process.off("SIGINT", shutdown);
      process.off("SIGTERM", shutdown);
      handle
        .close()
        .then(onClose)
        .catch((err: unknown) => process.stderr.write(`${JSON.stringify({ level: "error", msg: "shutdown failed", error: String(err) })}\n`))
        .finally(resolve);
    };
    process.stdin.once("end", shutdown);
    process.stdin.once("close", shutdown);
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  });
}
