/**
 * The frame of every page: the environment banner (always first, so paper
 * and live can never be confused), the navigation, a one-time flash line,
 * then the page. Also the two pages shown without a session.
 */
import type { Session } from "./auth.js";
import type { Section } from "./context.js";
import type { EnvironmentInfo } from "../environment.js";
import { html, type Html } from "./html.js";

const NAV: [Section, string, string][] = [
  ["mandate", "/", "Mandate"],
  ["halt", "/halt", "Halt"],
  ["approvals", "/approvals", "Approvals"],
  ["ledger", "/ledger", "Ledger"],
  ["commit", "/mandate/commit", "Commit / renew"],
];

export function banner(env: EnvironmentInfo, broker: string): Html {
  return html`<header class="banner env-${env.name}" data-environment="${env.name}"><span class="env">${env.label}</span><span class="where">broker ${broker} · ${env.baseUrl}</span></header>`;
}

function document(title: string, head: Html, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · bybit-mcp console</title><link rel="stylesheet" href="/assets/console.css"></head>
<body>${head}${body}</body></html>
`.text;
}

export function layout(opts: { title: string; section: Section; env: EnvironmentInfo; broker: string; session: Session; body: Html }): string {
  const flash = opts.session.flash;
  delete opts.session.flash;
  const nav = html`<nav>${NAV.map(([s, href, text]) => html`<a href="${href}"${s === opts.section ? html` class="here" aria-current="page"` : ""}>${text}</a>`)}</nav>`;
  const flashBox = flash ? html`<div class="card flash${flash.error ? " error" : ""}" role="status">${flash.text}</div>` : "";
  return document(opts.title, html`${banner(opts.env, opts.broker)}${nav}`, html`<main>${flashBox}<h1>${opts.title}</h1>${opts.body}</main>`);
}

/** Shown with 401 to a browser without a session: where the login URL is. */
export function loginNeeded(env: EnvironmentInfo, broker: string, why: string): string {
  return document(
    "Log in",
    banner(env, broker),
    html`<main><h1>Log in to the console</h1><div class="card"><p>${why}</p>
<p>Open the one-time login URL that <code>bybit-mcp console</code> printed in the terminal where it runs
(<code>http://127.0.0.1:PORT/login?token=…</code>). Each URL works once; the terminal then prints the next one.</p></div></main>`,
  );
}

/** A bare refusal page (403 and friends): no banner, since nothing about the request is trusted. */
export function refusal(title: string, text: string): string {
  return document(title, html``, html`<main><h1>${title}</h1><p>${text}</p></main>`);
}
