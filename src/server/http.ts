/**
 * Streamable HTTP transport at /mcp. Loopback by default. Without a token,
 * the Host header must name this server and a browser Origin must be
 * loopback (the DNS-rebinding guard); with BYBIT_MCP_HTTP_TOKEN, every
 * request needs `Authorization: Bearer <token>` instead, whatever the host.
 * A non-loopback host without a token refuses to start.
 *
 * Behind the guards, two legs (MCP SDK v2): a 2026-07-28 request (it carries
 * the per-request `_meta` envelope) goes to the SDK's stateless handler, one
 * server per request; a 2025-11-25 client keeps a session, as before, so the
 * server can push requests (elicitation/create) to it mid-call.
 */
import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createMcpHandler, isLegacyRequest, type McpServer } from "@modelcontextprotocol/server";
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from "@modelcontextprotocol/node";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  logger: Logger;
  /** A fresh McpServer: one per 2025 session, one per 2026 request. */
  newServer: () => McpServer;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function serveHttp(opts: HttpOptions): Promise<{ url: string; close: () => Promise<void>; httpServer: Server }> {
  if (!isLoopbackHost(opts.host) && !opts.token) {
    throw new ConfigError(`--host ${opts.host} is not loopback: set BYBIT_MCP_HTTP_TOKEN to serve beyond this machine`, "BYBIT_MCP_HTTP_TOKEN");
  }
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const modern = createMcpHandler(() => opts.newServer(), {
    legacy: "reject",
    onerror: (err) => opts.logger.warn("mcp request failed", { error: err }),
  });
  const modernNode = toNodeHandler(modern, { maxRequestBodySize: MAX_BODY });
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
    if (existing) return existing.handleRequest(req, res);
    if (sid !== undefined) return send(res, 404, "unknown session");
    if (req.method !== "POST") return send(res, 400, "no session");
    const body = await readJson(req);
    if (body === TOO_LARGE) return send(res, 413, "request too large");
    if (body === NOT_JSON) return send(res, 400, "request body is not JSON");
    if (!(await isLegacyRequest(await toWebRequest(req, body), body))) return modernNode(req, res, body);
    const server = opts.newServer();
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void server.close();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
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
      for (const t of sessions.values()) await t.close();
      sessions.clear();
      await modern.close();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

/** The SDK's own bound on a request body. */
const MAX_BODY = 4 * 1024 * 1024;
const TOO_LARGE = Symbol("too large");
const NOT_JSON = Symbol("not JSON");

/** Read and parse a POST body once: the era check and the leg that answers both need it. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return TOO_LARGE;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return NOT_JSON;
  }
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
