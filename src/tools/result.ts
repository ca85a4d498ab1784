/**
 * The result every tool here returns. The SDK's own type lets
 * structuredContent be any JSON value (2026-07-28 allows that); ours is
 * always an object, which is what the output schemas declare and what
 * callers read fields from.
 */
import type { CallToolResult as SdkCallToolResult } from "@modelcontextprotocol/server";

export type CallToolResult = SdkCallToolResult & { structuredContent?: Record<string, unknown> };
