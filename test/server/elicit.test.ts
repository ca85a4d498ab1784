/**
 * URL-mode elicitation is reachable from a tool handler (ctx.elicitUrl) for
 * both eras: a 2025-11-25 client declaring `elicitation: {url: {}}` receives
 * `elicitation/create`; a 2026-07-28 one receives the same question through
 * input_required and the handler resumes with the answer. A client that did
 * not declare it is never asked. Served in-process through the SDK's stdio
 * entry (the one `bybit-mcp serve` uses) over in-memory transports.
 */
import { Client as Client2025 } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as InMemory2025 } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as Client2026, InMemoryTransport as InMemory2026 } from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildDeps, createServer, loadConfig } from "../../src/index.js";
import { silentLogger } from "../../src/log.js";
import { defineTool, okResult, READ_ONLY, type ToolDef } from "../../src/tools/common.js";
import { errorOut } from "../../src/tools/output.js";
import { tempRuntime } from "../helpers/runtime.js";

const ASK = { message: "Approve the order on the console page", url: "http://127.0.0.1:8002/approvals/apr_1", elicitationId: "apr_1" };

/** A tool that asks once and answers what it learned. */
const askTool = defineTool({
  name: "test_ask",
  title: "Ask",
  description: "asks the user through the client",
  input: z.strictObject({}),
  output: z.union([z.looseObject({ supported: z.boolean(), outcome: z.string() }), errorOut]),
  annotations: READ_ONLY,
  handler: async (_a, _deps, ctx) => {
    const supported = ctx.clientSupportsUrlElicitation();
    return okResult({ supported, outcome: await ctx.elicitUrl(ASK) });
  },
}) as unknown as ToolDef;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function serve() {
  const rt = tempRuntime();
  const deps = buildDeps(loadConfig({ VIBE_RUNTIME_ROOT: rt.root }), silentLogger);
  return { deps, rt, factory: () => createServer(deps, { tools: [askTool] }).server };
}

type Answer = { structuredContent?: { supported?: boolean; outcome?: string } };

describe("URL elicitation from a tool handler", () => {
  it("a 2025-11-25 client that declares it receives elicitation/create (mode url) and its answer reaches the handler", async () => {
    const { factory, rt } = serve();
    const [a, b] = InMemory2025.createLinkedPair();
    const handle = serveStdio(factory, { transport: a });
    const client = new Client2025({ name: "c2025", version: "0" }, { capabilities: { elicitation: { url: {} } } });
    const seen: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      seen.push(req.params);
      return { action: "decline" };
    });
    await client.connect(b);
    closers.push(async () => {
      await client.close();
      await handle.close();
      rt.cleanup();
    });
    const res = (await client.callTool({ name: "test_ask", arguments: {} })) as Answer;
    expect(seen).toEqual([{ mode: "url", ...ASK }]);
    expect(res.structuredContent).toEqual({ supported: true, outcome: "decline" });
  });

  it("a 2025 client that does not declare it is not asked: unsupported", async () => {
    const { factory, rt } = serve();
    const [a, b] = InMemory2025.createLinkedPair();
    const handle = serveStdio(factory, { transport: a });
    const client = new Client2025({ name: "c2025", version: "0" }, { capabilities: { elicitation: { form: {} } } });
    let asked = 0;
    client.setRequestHandler(ElicitRequestSchema, () => {
      asked++;
      return { action: "accept" };
    });
    await client.connect(b);
    closers.push(async () => {
      await client.close();
      await handle.close();
      rt.cleanup();
    });
    const res = (await client.callTool({ name: "test_ask", arguments: {} })) as Answer;
    expect(asked).toBe(0);
    expect(res.structuredContent).toEqual({ supported: false, outcome: "unsupported" });
  });

  it("a 2026-07-28 client that declares it is asked through input_required, and the retried call returns its answer", async () => {
    const { factory, rt } = serve();
    const [a, b] = InMemory2026.createLinkedPair();
    const handle = serveStdio(factory, { transport: a });
    const client = new Client2026(
      { name: "c2026", version: "0" },
      { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const seen: unknown[] = [];
    client.setRequestHandler("elicitation/create", (req) => {
      seen.push(req.params);
      return { action: "accept" };
    });
    await client.connect(b);
    closers.push(async () => {
      await client.close();
      await handle.close();
      rt.cleanup();
    });
    expect(client.getProtocolEra()).toBe("modern");
    const res = (await client.callTool({ name: "test_ask", arguments: {} })) as Answer;
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ mode: "url", message: ASK.message, url: ASK.url });
    expect(res.structuredContent).toEqual({ supported: true, outcome: "accept" });
  });
});
