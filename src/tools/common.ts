/**
 * What every tool file shares: argument types (decimals, enums), the tool
 * definition shape, and the result builders.
 */
import { z } from "zod";
import type { CallToolResult } from "./result.js";
import { BybitApiError, BybitMcpError, HttpStatusError } from "../errors.js";
import { isDecimal } from "../util/decimal.js";
import type { ServerDeps } from "../server/deps.js";
import type { ToolContext } from "../server/elicit.js";

export const category = z.enum(["spot", "linear", "inverse", "option"]);
export const derivCategory = z.enum(["linear", "inverse"]);
/** Buy/Sell, case-insensitive on input; normalization canonicalises it. */
export const side = z.string().regex(/^(buy|sell)$/i, "side must be Buy or Sell");
export const symbol = z.string().min(1).max(40).regex(/^[A-Za-z0-9_-]+$/, "symbol has letters, digits, - and _ only");
/** A quantity or price: a decimal string or a JSON number, forwarded as an exact decimal string. */
export const decimal = z.union([z.string().max(40), z.number()]).refine(isDecimal, "must be a plain decimal number");
export const timestampMs = z.number().int().min(0);
export const cursor = z.string().max(512);
export const limit = (max: number) => z.number().int().min(1).max(max);

export interface ToolAnnotations {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * One MCP tool: its input and output schemas, words and annotations beside
 * its handler. Every structuredContent the handler returns, errors included,
 * must validate against `output` (test/tools/output-schema.test.ts checks).
 * `ctx` reaches the calling client (elicitation); most tools ignore it.
 */
export interface ToolDef<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: S;
  output: z.ZodType<Record<string, unknown>>;
  annotations: ToolAnnotations;
  handler: (args: z.infer<S>, deps: ServerDeps, ctx: ToolContext) => Promise<CallToolResult>;
}

export function defineTool<S extends z.ZodObject>(def: ToolDef<S>): ToolDef<S> {
  return def;
}

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: true };
export const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

const TEXT_CAP = 60_000;

/** A successful result: the data as structuredContent and as compact JSON text. */
export function okResult(data: Record<string, unknown>, headline?: string): CallToolResult {
  let text = JSON.stringify(data);
  if (text.length > TEXT_CAP) text = `${text.slice(0, TEXT_CAP)}… (truncated; full data in structuredContent)`;
  return {
    content: [{ type: "text", text: headline ? `${headline}\n${text}` : text }],
    structuredContent: data,
  };
}

/** A tool-level error: isError with one sentence, plus machine-readable fields. */
export function errorResult(message: string, fields: Record<string, unknown> = {}): CallToolResult {
  return {
    content: [{ type: "text", text: message }],
    structuredContent: { error: message, ...fields },
    isError: true,
  };
}

/**
 * One read-tool call: GET `path` and answer Bybit's `result`, or one clear
 * sentence. `privateTool` names a tool that reads the account: it is signed,
 * and without keys it answers which variables to set.
 */
export async function readCall(deps: ServerDeps, path: string, params: Record<string, unknown>, privateTool?: string): Promise<CallToolResult> {
  if (privateTool && !deps.hasCredentials) {
    return errorResult(`${privateTool} reads your account, so it needs an API key: set BYBIT_API_KEY and BYBIT_API_SECRET.`, { code: "E_NO_CREDENTIALS" });
  }
  try {
    const res = await (await deps.client()).get<Record<string, unknown>>(path, params, privateTool !== undefined);
    return okResult(res.result);
  } catch (err) {
    deps.logger.warn("read failed", { path, error: err });
    return errorFromException(err);
  }
}

/** Turn a thrown error into a tool error; only our own errors' messages are shown. */
export function errorFromException(err: unknown): CallToolResult {
  if (err instanceof BybitApiError) {
    return errorResult(err.message, { code: err.code, ret_code: err.retCode, ret_msg: err.retMsg, endpoint: err.endpoint });
  }
  if (err instanceof HttpStatusError) return errorResult(err.message, { code: err.code, http_status: err.httpStatus });
  if (err instanceof BybitMcpError) return errorResult(err.message, { code: err.code });
  return errorResult("internal error; see the server log", { code: "E_INTERNAL" });
}
