/**
 * The console's HTTP server (node:http, server-rendered pages, no script).
 * Every request passes the same gates in the same order, before any route:
 *   1. Host names this loopback server         -> else 403
 *   2. Origin, when sent, is this server        -> else 403
 *   3. /login?token=… and the stylesheet are the only ways in without a session
 *   4. a session cookie                        -> else 401 (a "log in" page)
 *   5. a POST: urlencoded body with the session's CSRF token -> else 403
 * Responses forbid framing, scripts and any fetch from elsewhere (CSP), are
 * never cached, and send a Referer only to the console itself.
 * Request logs carry the path only, never a query string or a cookie.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ConfigError } from "../errors.js";
import { approvalPage, approvalsPage, decideAction } from "./approvals-page.js";
import { CONSOLE_CSS } from "./assets.js";
import { allowedHostNames, ConsoleAuth, hostAllowed, isLoopbackHost, originAllowed } from "./auth.js";
import { commitAction, commitPage, renewAction } from "./commit-page.js";
import { messageOf, type ConsoleDeps, type Handler, type Reply } from "./context.js";
import { html, type Html } from "./html.js";
import { haltAction, haltPage, unhaltAction } from "./halt-page.js";
import { layout, loginNeeded, refusal } from "./layout.js";
import { ledgerPage } from "./ledger-page.js";
import { mandatePage } from "./mandate-page.js";

export interface ConsoleOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  deps: ConsoleDeps;
}

export interface ConsoleHandle {
  /** http://host:port */
  origin: string;
  port: number;
  /** Mint a new one-time login URL. */
  loginUrl(): string;
  /** Called after each successful login, e.g. to print the next login URL. */
  onLogin?: () => void;
  close(): Promise<void>;
}

const GET_ROUTES: [RegExp, Handler][] = [
  [/^\/$/, mandatePage],
  [/^\/halt$/, haltPage],
  [/^\/approvals$/, approvalsPage],
  [/^\/approvals\/[^/]+$/, approvalPage],
  [/^\/ledger$/, ledgerPage],
  [/^\/mandate\/commit$/, commitPage],
];
const POST_ROUTES: [RegExp, Handler][] = [
  [/^\/halt$/, haltAction],
  [/^\/unhalt$/, unhaltAction],
  [/^\/approvals\/[^/]+\/(approve|reject)$/, decideAction],
  [/^\/mandate\/commit$/, commitAction],
  [/^\/mandate\/renew$/, renewAction],
];

const MAX_BODY = 64 * 1024;

const HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  // Not no-referrer: with it a browser sends "Origin: null" on form posts, and the Origin check
  // could not tell the console's own forms from a sandboxed page's. The login URL never stays the
  // document URL (it redirects at once), so no Referer ever carries a token.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleHandle> {
  if (!isLoopbackHost(opts.host)) {
    throw new ConfigError(`console: --host ${opts.host} is not loopback; the console only listens on this machine (127.0.0.1, localhost or ::1)`, "--host");
  }
  const { deps } = opts;
  // Cookies are not kept apart by port: a name of its own per console, so two consoles on one
  // machine (or one restarted on the same port) never mix sessions.
  const auth = new ConsoleAuth(`bmcp_console_${randomBytes(4).toString("hex")}`, deps.nowMs);
  let names: string[] = [];
  let port = 0;
  const handle: ConsoleHandle = {
    origin: "",
    port: 0,
    loginUrl: () => `${handle.origin}/login?token=${auth.issueLoginToken()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps idle keep-alive sockets open; they would hold close() forever.
        server.closeAllConnections();
      }),
  };

  const server: Server = createServer((req, res) => {
    const started = Date.now();
    serve(req, res)
      .catch((err: unknown) => {
        deps.logger.error("console: request failed", { path: pathOnly(req.url), error: err });
        if (!res.headersSent) send(res, 500, refusal("Something went wrong", `The console could not answer: ${messageOf(err)}`));
      })
      .finally(() => deps.logger.debug("console request", { method: req.method, path: pathOnly(req.url), status: res.statusCode, ms: Date.now() - started }));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, names, port)) return send(res, 403, refusal("Forbidden", "This console answers only to its own loopback address."));
    const origin = req.headers.origin;
    if (!originAllowed(origin, names, port)) return send(res, 403, refusal("Forbidden", "A page from another origin cannot use this console."));
    // Belt and braces for browsers that omit Origin: their own word that the request is cross-site.
    if (req.method === "POST" && req.headers["sec-fetch-site"] === "cross-site") return send(res, 403, refusal("Forbidden", "A cross-site request cannot use this console."));
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname;
    if (req.method === "GET" && path === "/assets/console.css") return send(res, 200, CONSOLE_CSS, "text/css; charset=utf-8");
    if (req.method === "GET" && path === "/favicon.ico") return send(res, 204, "");
    if (req.method !== "GET" && req.method !== "POST") {
      res.setHeader("allow", "GET, POST");
      return send(res, 405, refusal("Method not allowed", "Only GET and POST."));
    }
    const env = await deps.environment();
    if (req.method === "GET" && path === "/login") {
      const s = auth.redeem(url.searchParams.get("token") ?? "");
      if (!s) return send(res, 401, loginNeeded(env, deps.state.broker, "That login URL was already used, or is not this console's."));
      deps.logger.info("console: a browser logged in");
      handle.onLogin?.();
      res.setHeader("set-cookie", auth.setCookie(s));
      return redirectTo(res, "/");
    }
    const session = auth.session(req.headers.cookie);
    if (!session) {
      const why = path.startsWith("/approvals/") ? `Log in first, then open ${path} again.` : "This browser has no console session.";
      return send(res, 401, loginNeeded(env, deps.state.broker, why));
    }
    let form = new URLSearchParams();
    if (req.method === "POST") {
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/x-www-form-urlencoded") return send(res, 415, refusal("Unsupported form", "The console takes HTML form posts only."));
      const body = await readBody(req);
      if (body === null) return send(res, 413, refusal("Too large", "That form is too large."));
      form = new URLSearchParams(body);
      if (!auth.csrfValid(session, form.get("csrf"))) return send(res, 403, refusal("Forbidden", "The form's CSRF token is missing or not this session's; reload the page and try again."));
    }
    const routes = req.method === "GET" ? GET_ROUTES : POST_ROUTES;
    const handler = routes.find(([re]) => re.test(path))?.[1];
    if (!handler) return send(res, 404, layout({ title: "Not found", section: "mandate", env, broker: deps.state.broker, session, body: notFound(path) }));
    const reply: Reply = await handler({ method: req.method, path, query: url.searchParams, form, session, deps });
    if (reply.type === "redirect") {
      if (reply.flash) session.flash = { text: reply.flash.text, error: reply.flash.error === true };
      return redirectTo(res, reply.location);
    }
    send(res, reply.status ?? 200, layout({ title: reply.title, section: reply.section, env, broker: deps.state.broker, session, body: reply.body }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === "object" && addr ? addr.port : opts.port;
  names = allowedHostNames(opts.host);
  const hostForUrl = opts.host.includes(":") && !opts.host.startsWith("[") ? `[${opts.host}]` : opts.host;
  handle.origin = `http://${hostForUrl}:${port}`;
  handle.port = port;
  return handle;
}

function notFound(path: string): Html {
  return html`<p>Nothing lives at <code>${path}</code>.</p>`;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: string, type = "text/html; charset=utf-8"): void {
  res.writeHead(status, { ...HEADERS, ...(status === 204 ? {} : { "content-type": type }) });
  res.end(status === 204 ? undefined : body);
}

function redirectTo(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...HEADERS, location });
  res.end();
}

function pathOnly(url: string | undefined): string {
  return (url ?? "/").split("?")[0]!;
}
