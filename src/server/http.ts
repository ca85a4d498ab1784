/**
 * Streamable HTTP transport at /mcp. Loopback by default. Without a token,
 * the Host header must name this server and a browser Origin must be
 * loopback (the DNS-rebinding guard); with BYBIT_MCP_HTTP_TOKEN, every
 * request needs `Authorization: Bearer <token>` instead, whatever the host.
 * A non-loopback host without a token refuses to start.
 */
import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  logger: Logger;
  /** A fresh McpServer per session. */
  newServer: () => { server: McpServer; close: () => Promise<void> };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function serveHttp(opts: HttpOptions): Promise<{ url: string; close: () => Promise<void>; httpServer: Server }> {
  if (!isLoopbackHost(opts.host) && !opts.token) {
    throw new ConfigError(`--host ${opts.host} is not loopback: set BYBIT_MCP_HTTP_TOKEN to serve beyond this machine`, "BYBIT_MCP_HTTP_TOKEN");
  }
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; close: () => Promise<void> }>();
  const httpServer = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger.error("http request failed", { error: err });
      if (!res.headersSent) send(res, 500, "internal error");
    });
  });

  const tokenHash = opts.token ? createHash("sha256").update(opts.token).digest() : undefined;
  const authorized = (req: IncomingMessage): boolean => {
    if (!tokenHash) return true;
    const h = req.headers.authorization ?? "";
    const m = /^Bearer (.+)$/.exec(h);
    if (!m?.[1]) return false;
    return timingSafeEqual(createHash("sha256").update(m[1]).digest(), tokenHash);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/mcp") return send(res, 404, "not found");
    // Without a token, the Host and Origin checks are what stop a web page (DNS rebinding) from
    // driving the server; with one, the bearer token is required and clients may name any host.
    if (!tokenHash) {
      if (!hostAllowed(req.headers.host, opts.host, boundPort())) return send(res, 403, "forbidden host");
      const origin = req.headers.origin;
      if (origin && !originAllowed(origin)) return send(res, 403, "forbidden origin");
    }
    if (!authorized(req)) {
      res.setHeader("www-authenticate", "Bearer");
      return send(res, 401, "unauthorized");
    }
    const sid = req.headers["mcp-session-id"];
    const existing = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (existing) return existing.transport.handleRequest(req, res);
    if (sid !== undefined) return send(res, 404, "unknown session");
    if (req.method !== "POST") return send(res, 400, "no session");
    const { server, close } = opts.newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, close });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void close();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }

  const boundPort = () => {
    const a = httpServer.address();
    return typeof a === "object" && a ? a.port : opts.port;
  };

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const hostForUrl = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostForUrl}:${boundPort()}/mcp`,
    httpServer,
    close: async () => {
      for (const s of sessions.values()) await s.transport.close();
      sessions.clear();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (!header) return false;
  const h = header.toLowerCase();
  const names = isLoopbackHost(host) ? ["127.0.0.1", "localhost", "[::1]"] : [host.toLowerCase(), host.includes(":") ? `[${host.toLowerCase()}]` : ""];
  return names.some((n) => n && (h === `${n}:${port}` || (port === 80 && h === n)));
}

function originAllowed(origin: string): boolean {
  try {
    const u = new URL(origin);
    return isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain" }).end(text);
}
