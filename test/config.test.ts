import { describe, expect, it } from "vitest";
import { configSecrets, loadConfig, safeStateUrl } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const base = { VIBE_RUNTIME_ROOT: "/tmp/bybit-mcp-config-test" };

describe("BYBIT_MCP_STATE", () => {
  it("files by default, a postgres URL when given, and its password is a secret that messages never show", () => {
    expect(loadConfig({}).stateUrl).toBeNull();
    expect(loadConfig({ BYBIT_MCP_STATE: "files" }).stateUrl).toBeNull();
    const c = loadConfig({ BYBIT_MCP_STATE: "postgres://bybit:S3cret%2FCanary@db:5432/state" });
    expect(c.stateUrl).toBe("postgres://bybit:S3cret%2FCanary@db:5432/state");
    expect(configSecrets(c)).toEqual(expect.arrayContaining(["S3cret/Canary", "S3cret%2FCanary"]));
    expect(safeStateUrl(c.stateUrl!)).toBe("postgres://bybit:***@db:5432/state");
    expect(() => loadConfig({ BYBIT_MCP_STATE: "mysql://x@y/z" })).toThrow(/BYBIT_MCP_STATE must be "files" or a postgres:\/\/ URL/);
    expect(() => loadConfig({ BYBIT_MCP_STATE: "not a url" })).toThrow(ConfigError);
  });
});

describe("loadConfig", () => {
  it("defaults to mainnet, 10 s timeout, 5000 ms recv window, broker bybit", () => {
    const c = loadConfig(base);
    expect(c.baseUrl).toBe("https://api.bybit.com");
    expect(c.httpTimeoutMs).toBe(10_000);
    expect(c.recvWindow).toBe(5000);
    expect(c.brokerKey).toBe("bybit");
    expect(c.approvalTtlMs).toBe(600_000);
    expect(c.runtimeRoot).toBe("/tmp/bybit-mcp-config-test");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("picks testnet, demo or an explicit base URL", () => {
    expect(loadConfig({ ...base, BYBIT_TESTNET: "true" }).baseUrl).toBe("https://api-testnet.bybit.com");
    expect(loadConfig({ ...base, BYBIT_DEMO: "1" }).baseUrl).toBe("https://api-demo.bybit.com");
    expect(loadConfig({ ...base, BYBIT_BASE_URL: "http://127.0.0.1:9/" }).baseUrl).toBe("http://127.0.0.1:9");
  });

  it("reads BYBIT_MCP_APPROVAL_TTL in seconds", () => {
    expect(loadConfig({ ...base, BYBIT_MCP_APPROVAL_TTL: "90" }).approvalTtlMs).toBe(90_000);
  });

  it("an invalid broker key is kept as null (writes fail closed), not a crash", () => {
    expect(loadConfig({ ...base, BYBIT_BROKER_KEY: "../x" }).brokerKey).toBeNull();
    expect(loadConfig({ ...base, BYBIT_BROKER_KEY: "  ByBit " }).brokerKey).toBe("bybit");
  });

  const bad: [Record<string, string>, string][] = [
    [{ BYBIT_TESTNET: "maybe" }, "BYBIT_TESTNET"],
    [{ BYBIT_DEMO: "sure" }, "BYBIT_DEMO"],
    [{ BYBIT_TESTNET: "true", BYBIT_DEMO: "true" }, "BYBIT_DEMO"],
    [{ BYBIT_BASE_URL: "ftp://x" }, "BYBIT_BASE_URL"],
    [{ BYBIT_BASE_URL: "https://api.bybit.com/v5" }, "BYBIT_BASE_URL"],
    [{ BYBIT_BASE_URL: "not a url" }, "BYBIT_BASE_URL"],
    [{ BYBIT_HTTP_TIMEOUT: "0" }, "BYBIT_HTTP_TIMEOUT"],
    [{ BYBIT_HTTP_TIMEOUT: "ten" }, "BYBIT_HTTP_TIMEOUT"],
    [{ BYBIT_RECV_WINDOW: "5000.5" }, "BYBIT_RECV_WINDOW"],
    [{ BYBIT_MCP_PORT: "0" }, "BYBIT_MCP_PORT"],
    [{ BYBIT_MCP_PORT: "70000" }, "BYBIT_MCP_PORT"],
    [{ BYBIT_MCP_LOG_LEVEL: "loud" }, "BYBIT_MCP_LOG_LEVEL"],
    [{ BYBIT_API_KEY: "k" }, "BYBIT_API_SECRET"],
    [{ BYBIT_MCP_APPROVAL_TTL: "0" }, "BYBIT_MCP_APPROVAL_TTL"],
    [{ BYBIT_MCP_APPROVAL_TTL: "10m" }, "BYBIT_MCP_APPROVAL_TTL"],
    [{ BYBIT_MCP_APPROVAL_TTL: "86401" }, "BYBIT_MCP_APPROVAL_TTL"],
  ];
  it.each(bad)("rejects %j naming %s", (env, variable) => {
    let caught: unknown;
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
    expect((caught as ConfigError).message).toContain(variable);
  });
});
