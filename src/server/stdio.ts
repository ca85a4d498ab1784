/**
 * The stdio transport: stdout carries protocol only. The SDK's serveStdio
 * decides the era from the opening message (2025 `initialize` or a 2026
 * request) and serves one server from the factory for the connection.
 * Resolves when stdin ends, on SIGINT and on SIGTERM, after onClose.
 */
import { serializeMessage, type JSONRPCMessage, type McpServer } from "@modelcontextprotocol/server";
import { StdioServerTransport, serveStdio as sdkServeStdio } from "@modelcontextprotocol/server/stdio";
import type { Readable, Writable } from "node:stream";

/**
 * The SDK's stdio transport with one wait for 'drain' shared by every write
 * that met a full stdout. The SDK's own send() adds a 'drain' and an 'error'
 * listener per such write, so a burst of answers to a slow reader (600
 * concurrent orders) grows them past Node's limit of 10 and Node warns of a
 * leak. Each write still settles as before: at once when stdout took it, at
 * the next 'drain' (all of them together) when it did not, and rejected when
 * stdout fails first.
 */
export class SharedDrainStdioTransport extends StdioServerTransport {
  readonly #out: Writable;
  #closed = false;
  #drained: Promise<void> | undefined;

  constructor(stdin: Readable = process.stdin, stdout: Writable = process.stdout) {
    super(stdin, stdout);
    this.#out = stdout;
  }

  override async close(): Promise<void> {
    this.#closed = true;
    await super.close();
  }

  override send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("StdioServerTransport is closed"));
    if (this.#out.write(serializeMessage(message))) return Promise.resolve();
    return (this.#drained ??= new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        this.#out.off("drain", onDrain);
        this.#out.off("error", settle);
        this.#drained = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => settle();
      this.#out.once("drain", onDrain);
      this.#out.once("error", settle);
    }));
  }
}

export async function serveStdio(newServer: () => McpServer, onClose: () => Promise<void>, onError: (err: Error) => void = () => {}): Promise<void> {
  const handle = sdkServeStdio(() => newServer(), { legacy: "serve", onerror: onError, transport: new SharedDrainStdioTransport() });
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
