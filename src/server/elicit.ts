/**
 * What a tool handler may ask of the calling client, beyond its arguments:
 * URL-mode elicitation (send the user to a page, e.g. the console's approval
 * page, and learn whether they accepted). The approvals feature calls it.
 *
 * The two protocol eras ask differently:
 * - 2025-11-25 clients: an `elicitation/create` request (mode "url") pushed
 *   mid-call; the promise resolves with the user's action.
 * - 2026-07-28 clients: the handler returns `input_required` with an
 *   elicitUrl request; the client asks the user and calls the tool again
 *   with the answer. elicitUrl throws `InputRequiredSignal`, createServer
 *   turns it into that result, and on the retry the handler runs again from
 *   the start and the same elicitUrl call resolves with the answer. So call
 *   it before any side effect, with an elicitationId the retry derives again.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type ClientCapabilities,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";

export type ElicitOutcome = "accept" | "decline" | "cancel" | "unsupported";

export interface UrlElicitation {
  /** One sentence shown to the user. */
  message: string;
  url: string;
  /** Stable for one question: the 2026 retry finds its answer under it. */
  elicitationId: string;
}

/** Handed to every tool handler as its third argument. */
export interface ToolContext {
  /** True when the client declared `elicitation: {url: {}}`. */
  clientSupportsUrlElicitation(): boolean;
  /**
   * True when the call can ask and then wait in place for the person (a
   * 2025-11-25 connection, which answers elicitation/create mid-call). A
   * 2026-07-28 call re-runs the handler instead, so the write path gives
   * those clients the approval envelope.
   */
  canAskAndWait(): boolean;
  /**
   * On a 2026-07-28 call retried with the user's answer: that answer for
   * `elicitationId`; undefined on a first run or a 2025 connection.
   */
  answerFor(elicitationId: string): ElicitOutcome | undefined;
  /** Ask the user through the client; "unsupported" when it cannot, without asking. */
  elicitUrl(req: UrlElicitation): Promise<ElicitOutcome>;
}

/** A person answers: the push-style request waits this long before it counts as cancelled. */
const ELICIT_TIMEOUT_MS = 10 * 60_000;

/** Thrown by elicitUrl on a 2026-07-28 call whose answer has not arrived yet; createServer returns `result`. */
export class InputRequiredSignal extends Error {
  constructor(readonly result: InputRequiredResult) {
    super("input required");
    this.name = "InputRequiredSignal";
  }
}

/** A ToolContext that never elicits, for calls made outside an MCP request (library use, tests). */
export const NO_CLIENT: ToolContext = {
  clientSupportsUrlElicitation: () => false,
  canAskAndWait: () => false,
  answerFor: () => undefined,
  elicitUrl: () => Promise.resolve("unsupported"),
};

export function toolContext(server: McpServer, ctx: ServerContext): ToolContext {
  // A 2026-07-28 request carries its client's identity in a per-request envelope; a 2025 one does not.
  const modern = ctx.mcpReq.envelope !== undefined;
  const capabilities = (): ClientCapabilities | undefined =>
    modern
      ? ((ctx.mcpReq.envelope as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)
      : // The initialize-scoped capabilities are what a 2025 connection declared; on 2026 the envelope replaces them.
        server.server.getClientCapabilities();
  const supportsUrl = () => capabilities()?.elicitation?.url !== undefined;
  return {
    clientSupportsUrlElicitation: supportsUrl,
    canAskAndWait: () => !modern && supportsUrl(),
    answerFor(id) {
      if (!modern) return undefined;
      const answer = inputResponse(ctx.mcpReq.inputResponses, id);
      return answer.kind === "elicit" ? answer.action : undefined;
    },
    async elicitUrl(req) {
      if (!supportsUrl()) return "unsupported";
      if (modern) {
        const answer = inputResponse(ctx.mcpReq.inputResponses, req.elicitationId);
        if (answer.kind === "elicit") return answer.action;
        throw new InputRequiredSignal(
          inputRequired({ inputRequests: { [req.elicitationId]: inputRequired.elicitUrl({ message: req.message, url: req.url }) } }),
        );
      }
      try {
        const res = await ctx.mcpReq.elicitInput(
          { mode: "url", message: req.message, url: req.url, elicitationId: req.elicitationId },
          { timeout: ELICIT_TIMEOUT_MS, signal: ctx.mcpReq.signal },
        );
        return res.action;
      } catch {
        // No answer (timeout, the client refused the request, the call was cancelled): nobody accepted.
        return "cancel";
      }
    },
  };
}
