/**
 * Which exchange the console's configuration points at, for the banner on
 * every page: mainnet, testnet, demo, simulator or a custom URL.
 *
 * The simulator is told apart from a proxy by asking it: a base URL that
 * answers GET /__sim/faults with a JSON object is bybit-mcp's simulator
 * (Bybit and proxies answer 404 there). Only custom URLs are asked, with a
 * short timeout, and the answer is kept for a while so a page load does not
 * wait on it. An unanswered probe reads as "custom": never as a paper
 * environment it has not proven.
 */
import type { Config } from "./config.js";

export type EnvironmentName = "mainnet" | "testnet" | "demo" | "simulator" | "custom";

export interface EnvironmentInfo {
  name: EnvironmentName;
  baseUrl: string;
  /** The banner's words, e.g. "MAINNET: real money". */
  label: string;
}

const PROBE_TIMEOUT_MS = 1_000;
const PROBE_TTL_MS = 30_000;

export function describeEnvironment(name: EnvironmentName, baseUrl: string): EnvironmentInfo {
  const label = {
    mainnet: "Mainnet: real money",
    testnet: "Testnet: test funds",
    demo: "Demo trading: paper funds",
    simulator: "Simulator: nothing reaches Bybit",
    custom: `Custom: ${baseUrl}`,
  }[name];
  return { name, baseUrl, label };
}

/** Ask a base URL whether it is the simulator; false on anything but a JSON object from /__sim/faults. */
export async function isSimulator(baseUrl: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/__sim/faults`, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    if (res.status !== 200) return false;
    const body = (await res.json()) as unknown;
    return typeof body === "object" && body !== null && !Array.isArray(body);
  } catch {
    return false;
  }
}

/** The environment of `config`, probing a custom base URL at most once per PROBE_TTL_MS. */
export function environmentOf(config: Pick<Config, "network" | "baseUrl">, nowMs: () => number = Date.now): () => Promise<EnvironmentInfo> {
  if (config.network !== "custom") {
    const fixed = describeEnvironment(config.network, config.baseUrl);
    return async () => fixed;
  }
  let cached: { at: number; info: Promise<EnvironmentInfo> } | null = null;
  return () => {
    const now = nowMs();
    if (!cached || now - cached.at > PROBE_TTL_MS) {
      cached = { at: now, info: isSimulator(config.baseUrl).then((sim) => describeEnvironment(sim ? "simulator" : "custom", config.baseUrl)) };
    }
    return cached.info;
  };
}
