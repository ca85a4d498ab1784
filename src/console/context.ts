/**
 * What every console page handler receives and returns. Handlers read the
 * state on every request (through `deps.state`: the runtime root's files, or
 * the shared PostgreSQL state when BYBIT_MCP_STATE is a postgres:// URL), so
 * records, approvals and halts written by another process or host show
 * without a restart.
 */
import { errorMessage } from "../errors.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { CliState } from "../cli/state.js";
import type { MandateStatus } from "../trading/status.js";
import type { Session } from "./auth.js";
import type { EnvironmentInfo } from "../environment.js";
import type { Html } from "./html.js";

export interface ConsoleDeps {
  config: Config;
  /** Halt, ledger, mandate and approvals, on either backend; `state.where` says where each lives. */
  state: CliState;
  environment: () => Promise<EnvironmentInfo>;
  /** Mandate, halt, trades and (with API keys) exposure, as `bybit-mcp mandate status` reads them. */
  status: () => Promise<MandateStatus>;
  logger: Logger;
  nowMs: () => number;
}

export interface PageRequest {
  method: "GET" | "POST";
  path: string;
  query: URLSearchParams;
  /** The urlencoded body of a POST (empty for GET). */
  form: URLSearchParams;
  session: Session;
  deps: ConsoleDeps;
}

/** Which navigation entry is highlighted. */
export type Section = "mandate" | "halt" | "approvals" | "ledger" | "commit";

export type Reply =
  | { type: "page"; status?: number; title: string; section: Section; body: Html }
  /** POST-redirect-GET: the flash is shown once on the page redirected to. */
  | { type: "redirect"; location: string; flash?: { text: string; error?: boolean } };

export type Handler = (req: PageRequest) => Promise<Reply> | Reply;

export function redirect(location: string, text?: string, error = false): Reply {
  return text === undefined ? { type: "redirect", location } : { type: "redirect", location, flash: { text, error } };
}

/** The one-sentence message of anything thrown, for a flash line. */
export function messageOf(err: unknown): string {
  return errorMessage(err);
}
