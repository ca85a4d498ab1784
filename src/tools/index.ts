/**
 * Every tool, in the order tools/list shows them: reads, then gated writes,
 * then the two gate tools no peer has.
 */
import { accountTools } from "./account.js";
import { marketTools } from "./market.js";
import { statusTools } from "./status.js";
import { tradeTools } from "./trade.js";
import type { ToolDef } from "./common.js";

export const allTools: ToolDef[] = [...marketTools, ...accountTools, ...tradeTools, ...statusTools] as unknown as ToolDef[];
