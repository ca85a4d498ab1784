/**
 * The console's only asset, its stylesheet, shipped inside the package as a
 * string (the CLI is one esbuild bundle, so a separate file would need a
 * copy step). Pages load nothing else: no script, no font, no image, and the
 * Content-Security-Policy says so to the browser.
 */
export const CONSOLE_CSS = `
:root { --fg: #1d232b; --muted: #5b6673; --line: #d6dbe1; --bg: #f6f7f9; --ok: #17663a; --bad: #a11d1d; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 980px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.35rem; margin: 1rem 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
a { color: #0b57a4; }
.banner { display: flex; gap: 1rem; align-items: center; justify-content: space-between; padding: .55rem 1.25rem; color: #fff; font-weight: 600; }
.banner .env { font-size: 1.05rem; letter-spacing: .04em; text-transform: uppercase; }
.banner .where { font-weight: 400; font-size: .85rem; opacity: .9; }
.env-mainnet { background: #b3171c; }
.env-testnet { background: #1f6f43; }
.env-demo { background: #2857a4; }
.env-simulator { background: #5b3fa3; }
.env-custom { background: #8a5a00; }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: .5rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
nav a { text-decoration: none; font-weight: 500; }
nav a.here { text-decoration: underline; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }
.flash { border-left: 4px solid var(--ok); }
.flash.error { border-left-color: var(--bad); }
.halted { border-left: 4px solid var(--bad); }
.state-ok { color: var(--ok); font-weight: 600; }
.state-bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.gauge { display: grid; grid-template-columns: 11rem 1fr 16rem; gap: .75rem; align-items: center; margin: .4rem 0; }
.gauge meter { width: 100%; height: 1.1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; font-size: .9rem; }
th { color: var(--muted); font-weight: 500; }
code, pre { font: .85rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--bg); padding: .5rem; overflow-x: auto; }
form.inline { display: inline-block; margin-right: .5rem; }
label { display: block; margin: .45rem 0 .15rem; font-weight: 500; }
label.check { display: flex; gap: .4rem; align-items: center; font-weight: 400; }
input[type=text], input[type=number], select { font: inherit; padding: .3rem .45rem; border: 1px solid var(--line); border-radius: 4px; width: 100%; max-width: 26rem; }
.problem { color: var(--bad); font-size: .85rem; }
button { font: inherit; padding: .35rem .9rem; border-radius: 4px; border: 1px solid #7b8794; background: #fff; cursor: pointer; }
button.primary { background: #0b57a4; border-color: #0b57a4; color: #fff; }
button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; }
.badge.ok { background: #dff3e6; color: var(--ok); }
.badge.bad { background: #f8dddd; color: var(--bad); }
.badge.pending { background: #fff1d6; color: var(--warn); }
.filters a { margin-right: .6rem; }
`;
