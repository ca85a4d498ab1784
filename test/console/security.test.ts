/**
 * The console's security rules over plain HTTP: one-time login, the session
 * cookie's attributes, Host and Origin checks, CSRF on every POST. Each
 * refusal is paired with the same request made right, so a test cannot pass
 * by the console refusing everything.
 */
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startConsole } from "../../src/console/server.js";
import { consoleRig, type ConsoleRig } from "../helpers/console.js";

let rig: ConsoleRig;
beforeEach(async () => {
  rig = await consoleRig();
});
afterEach(async () => {
  await rig.close();
});

const halt = { reason: "test", scope: "broker", confirm: "yes" };

describe("login", () => {
  it("sets an HttpOnly, SameSite=Strict, Path=/ cookie and the token works once", async () => {
    const url = new URL(rig.console.loginUrl());
    const first = await rig.raw("GET", `${url.pathname}${url.search}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const cookie = String(first.headers["set-cookie"]);
    expect(cookie).toMatch(/^bmcp_console_[0-9a-f]+=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    const page = await rig.raw("GET", "/", { headers: { cookie: cookie.split(";")[0]! } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-environment="mainnet"');

    const again = await rig.raw("GET", `${url.pathname}${url.search}`);
    expect(again.status).toBe(401);
    expect(again.headers["set-cookie"]).toBeUndefined();
  });

  it("refuses an unknown token and a missing one", async () => {
    expect((await rig.raw("GET", `/login?token=${"0".repeat(64)}`)).status).toBe(401);
    expect((await rig.raw("GET", "/login")).status).toBe(401);
  });

  it("sends the headers that keep the page unframed, script-free and uncached", async () => {
    const res = await rig.raw("GET", "/");
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["referrer-policy"]).toBe("same-origin");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["cache-control"]).toBe("no-store");
  });
});

describe("without the cookie", () => {
  it("GET answers 401 with the log-in page, POST answers 401 and changes nothing", async () => {
    const page = await rig.raw("GET", "/approvals");
    expect(page.status).toBe(401);
    expect(page.body).toContain("printed in the terminal");
    const { csrf } = await rig.login();
    const res = await rig.post("/halt", { ...halt, csrf }, "");
    expect(res.status).toBe(401);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
  });

  it("a forged or foreign cookie is no session", async () => {
    const { cookie } = await rig.login();
    const name = cookie.split("=")[0]!;
    expect((await rig.raw("GET", "/", { headers: { cookie: `${name}=${"a".repeat(64)}` } })).status).toBe(401);
    expect((await rig.raw("GET", "/", { headers: { cookie: `other=${cookie.split("=")[1]}` } })).status).toBe(401);
  });
});

describe("Host and Origin", () => {
  it("refuses a foreign Host (DNS rebinding), even with a valid session", async () => {
    const { cookie } = await rig.login();
    const port = rig.console.port;
    for (const host of [`evil.example:${port}`, "127.0.0.1", `127.0.0.1:${port + 1}`, `localhost.evil.example:${port}`]) {
      const res = await rig.raw("GET", "/", { headers: { host, cookie } });
      expect(res.status, host).toBe(403);
    }
    expect((await rig.raw("GET", "/", { headers: { host: `localhost:${port}`, cookie } })).status).toBe(200);
  });

  it("refuses a cross-origin POST with a valid cookie and CSRF token", async () => {
    const { cookie, csrf } = await rig.login();
    for (const origin of ["http://evil.example", "null", `http://127.0.0.1:${rig.console.port + 1}`, `https://127.0.0.1:${rig.console.port}`]) {
      const res = await rig.post("/halt", { ...halt, csrf }, cookie, { origin });
      expect(res.status, origin).toBe(403);
    }
    const crossSite = await rig.raw("POST", "/halt", {
      headers: { cookie, "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ ...halt, csrf }).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
    // The same request from the console's own origin goes through.
    const ok = await rig.post("/halt", { ...halt, csrf }, cookie);
    expect(ok.status).toBe(303);
    expect(existsSync(rig.paths.brokerHalt)).toBe(true);
  });
});

describe("CSRF", () => {
  it("refuses a POST without the token, with a wrong one, or with another session's", async () => {
    const a = await rig.login();
    const b = await rig.login();
    expect((await rig.post("/halt", halt, a.cookie)).status).toBe(403);
    expect((await rig.post("/halt", { ...halt, csrf: "0".repeat(64) }, a.cookie)).status).toBe(403);
    expect((await rig.post("/halt", { ...halt, csrf: b.csrf }, a.cookie)).status).toBe(403);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
    expect((await rig.post("/halt", { ...halt, csrf: a.csrf }, a.cookie)).status).toBe(303);
    expect(existsSync(rig.paths.brokerHalt)).toBe(true);
  });

  it("refuses a body that is not an HTML form post", async () => {
    const { cookie, csrf } = await rig.login();
    const res = await rig.raw("POST", "/halt", {
      headers: { cookie, origin: `http://${rig.host}`, "content-type": "application/json" },
      body: JSON.stringify({ ...halt, csrf }),
    });
    expect(res.status).toBe(415);
    expect(existsSync(rig.paths.brokerHalt)).toBe(false);
  });

  it("an approval page's URL alone decides nothing", async () => {
    const r = rig.pendingApproval();
    const { cookie } = await rig.login();
    expect((await rig.raw("GET", `/approvals/${r.id}`)).status).toBe(401);
    expect((await rig.raw("GET", `/approvals/${r.id}/approve`, { headers: { cookie } })).status).toBe(404);
    expect((await rig.post(`/approvals/${r.id}/approve`, {}, cookie)).status).toBe(403);
    expect(rig.approvals.get(r.id)?.status).toBe("pending");
  });
});

it("refuses to listen on a non-loopback host", async () => {
  await expect(startConsole({ host: "0.0.0.0", port: 0, deps: {} as never })).rejects.toMatchObject({ code: "E_CONFIG" });
});
