/**
 * Who may use the console, and from where. The console can halt, approve
 * orders and commit mandates, so a request is served only when:
 *  - its Host header names this loopback server (a web page that rebinds
 *    its own DNS name to 127.0.0.1 sends its own name: refused);
 *  - its Origin, when the browser sends one, is this server (a form on
 *    another site posting here: refused, whatever cookie comes along);
 *  - it carries a session cookie obtained through a one-time login token
 *    that only the terminal saw (Jupyter-style);
 *  - and, for a POST, the CSRF token of that session.
 * The cookie is HttpOnly and SameSite=Strict, so neither a script nor
 * another site's link or form ever gets to use it.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Loopback names. Kept here instead of importing the MCP transport's copy, which would load the MCP SDK into the console. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The names a browser may use for this server: the bound address and localhost. */
export function allowedHostNames(bound: string): string[] {
  if (bound === "::1" || bound === "[::1]") return ["[::1]", "localhost"];
  if (bound === "localhost") return ["localhost", "127.0.0.1"];
  return [bound, "localhost"];
}

export function hostAllowed(header: string | undefined, names: string[], port: number): boolean {
  if (!header) return false;
  const h = header.toLowerCase();
  return names.some((n) => h === `${n}:${port}`);
}

/** An Origin header, when present, must be exactly http://<an allowed name>:<port>. "null" (sandboxed frames, some redirects) is refused. */
export function originAllowed(origin: string | undefined, names: string[], port: number): boolean {
  if (origin === undefined) return true;
  return names.some((n) => origin.toLowerCase() === `http://${n}:${port}`);
}

export interface Session {
  id: string;
  csrf: string;
  createdMs: number;
  lastSeenMs: number;
  /** A one-line message for the next page (POST, redirect, GET). */
  flash?: { text: string; error: boolean };
}

const SESSION_IDLE_MS = 12 * 3_600_000;

function token(): string {
  return randomBytes(32).toString("hex");
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/**
 * Login tokens and sessions, in memory only: a restarted console forgets
 * every session and prints a new login URL. A token works once; each use
 * mints a successor (printed on the terminal) for the next browser.
 */
export class ConsoleAuth {
  private readonly loginTokens = new Set<string>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly cookieName: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** A new single-use login token. */
  issueLoginToken(): string {
    const t = token();
    this.loginTokens.add(t);
    return t;
  }

  /** Spend a login token for a new session, or null when it is unknown or already used. */
  redeem(candidate: string): Session | null {
    let found: string | undefined;
    for (const t of this.loginTokens) if (sameSecret(t, candidate)) found = t;
    if (found === undefined) return null;
    this.loginTokens.delete(found);
    const now = this.nowMs();
    const s: Session = { id: token(), csrf: token(), createdMs: now, lastSeenMs: now };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The session named by the request's Cookie header, or null (unknown, or idle too long). */
  session(cookieHeader: string | undefined): Session | null {
    const id = readCookie(cookieHeader, this.cookieName);
    if (!id || !/^[0-9a-f]{64}$/.test(id)) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    const now = this.nowMs();
    if (now - s.lastSeenMs > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return null;
    }
    s.lastSeenMs = now;
    return s;
  }

  csrfValid(s: Session, candidate: string | null): boolean {
    return typeof candidate === "string" && candidate !== "" && sameSecret(s.csrf, candidate);
  }

  setCookie(s: Session): string {
    return `${this.cookieName}=${s.id}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
