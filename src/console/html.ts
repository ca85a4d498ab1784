/**
 * HTML building for the console: a tagged template that escapes every
 * interpolated value unless it is already Html. Everything shown comes from
 * files another process (or an agent, through an order's symbol or a halt
 * reason) may have written, so nothing is ever inserted unescaped.
 */

/** Markup that is already safe to insert. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return esc(String(part));
}

/** `html\`<p>${value}</p>\``: values are escaped, Html and arrays of Html are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** A POST form with the session's CSRF token; `fields` become hidden inputs. */
export function postForm(action: string, csrf: string, body: Html, fields: Record<string, string> = {}, cls = ""): Html {
  const hidden = Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form method="post" action="${action}"${cls ? new Html(` class="${esc(cls)}"`) : ""}><input type="hidden" name="csrf" value="${csrf}">${hidden}${body}</form>`;
}

/** A gauge: a native <meter> (no script, no inline style) with the numbers beside it in words. */
export function gauge(label: string, value: number, max: number, text: string, opts: { highIsBad: boolean }): Html {
  const safeMax = max > 0 ? max : 1;
  const v = Math.min(Math.max(value, 0), safeMax);
  // low/high/optimum let the browser colour it: near the cap is the warning end for usage gauges,
  // near zero is the warning end for time left.
  const attrs = opts.highIsBad
    ? `low="${safeMax * 0.6}" high="${safeMax * 0.85}" optimum="0"`
    : `low="${safeMax * 0.15}" high="${safeMax * 0.4}" optimum="${safeMax}"`;
  return html`<div class="gauge"><span class="gauge-label">${label}</span><meter min="0" max="${String(safeMax)}" value="${String(v)}" ${new Html(attrs)}>${text}</meter><span class="gauge-text">${text}</span></div>`;
}
