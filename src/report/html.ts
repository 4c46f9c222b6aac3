// The page around the sections: one HTML file with its styles inline and no script, no font
// and no image from anywhere else, so it opens offline and from a mail attachment.
import { esc } from './svg.js';

export const SECTION_IDS = ['header', 'latency', 'throughput', 'leaders', 'staleness', 'geography', 'spacetime', 'violation', 'stats'] as const;

const NAV: [string, string][] = [
  ['latency', 'Latency'],
  ['throughput', 'Throughput'],
  ['leaders', 'Leaders'],
  ['staleness', 'Staleness'],
  ['geography', 'Geography'],
  ['spacetime', 'Space-time'],
  ['violation', 'Violations'],
  ['stats', 'Statistics'],
];

const CSS = `
:root { --fg: #1b1f24; --dim: #6a737d; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --ok: #1a7f37; --fail: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1160px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 20px; margin: 8px 0 12px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 14px; margin: 14px 0 6px; }
nav { position: sticky; top: 0; background: var(--bg); padding: 6px 0; border-bottom: 1px solid var(--line); z-index: 1; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code.repro { background: var(--panel); padding: 2px 6px; border-radius: 4px; user-select: all; }
pre.explanation { background: var(--panel); padding: 8px; overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
table.facts th { text-align: left; color: var(--dim); font-weight: normal; }
table.facts td, table.checks td { text-align: left; }
table.geo-places td, table.geo-places th { text-align: left; }
.dim, .note { color: var(--dim); }
.verdict { font-weight: 600; padding: 1px 6px; border-radius: 4px; }
.verdict.ok { color: var(--ok); } .verdict.fail { color: #fff; background: var(--fail); } .verdict.na { color: var(--dim); }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 4px 0; font-size: 12px; }
.legend span { display: inline-flex; align-items: center; gap: 4px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; max-width: 360px; } figcaption { font-size: 12px; color: var(--dim); }
svg { display: block; overflow: visible; }
svg text { font: 10.5px system-ui, sans-serif; fill: var(--fg); }
.axis { stroke: #8c959f; } .tick { stroke: #8c959f; } .grid line, line.grid { stroke: #eaeef2; }
.tick-label { fill: var(--dim); }
.fault { fill: #cf222e; fill-opacity: 0.09; } .fault-instant { stroke: #cf222e; stroke-opacity: 0.6; stroke-dasharray: 3 2; }
.series { stroke-width: 1.5; }
.bar { fill-opacity: 0.85; }
.pmark { stroke: #1b1f24; stroke-dasharray: 2 2; } .pmark-max { stroke: #cf222e; } .pmark-label { font-size: 9px; fill: var(--dim); }
.lane { stroke: #eaeef2; } .lane-label { fill: var(--fg); font-weight: 600; }
.lead { stroke: none; } .term-label { fill: #fff; font-size: 9.5px; font-weight: 600; pointer-events: none; }
.campaign { fill: #f0b429; fill-opacity: 0.6; } .down { fill: #8c959f; fill-opacity: 0.55; }
.election { fill: #1b1f24; }
.msg { stroke-width: 1.1; } .msg.in-flight { stroke-dasharray: 3 2; }
.m-heartbeat { stroke: #c4ccd4; } .m-append { stroke: #1f77b4; } .m-vote { stroke: #ff7f0e; stroke-width: 1.6; }
.m-raft { stroke: #9467bd; } .m-client { stroke: #2ca02c; } .m-reply { stroke: #17becf; }
.msg.dropped { stroke: #cf222e; } .drop-x { stroke: #cf222e; stroke-width: 1.6; fill: none; }
circle.mark-leader, circle.mark-elected { fill: #1b1f24; } circle.mark-candidate { fill: #f0b429; }
circle.mark-down { fill: #cf222e; } circle.mark-up { fill: #1a7f37; } circle.mark-pause { fill: #8c959f; }
line.mark-fault { stroke: #cf222e; stroke-dasharray: 4 3; } line.mark-violation { stroke: #cf222e; stroke-width: 2; }
.op { fill: #9ecbff; stroke: #0969da; } .op-put { fill: #aceebb; stroke: #1a7f37; } .op.open { fill-opacity: 0.5; stroke-dasharray: 4 2; }
.op.failing { fill: #ffcecb; stroke: #cf222e; stroke-width: 2.5; } .op-label { font-size: 11px; } .op-label.failing { fill: #cf222e; font-weight: 700; }
.violation-text { color: var(--fail); }
details { margin-top: 8px; }
`;

export function renderPage(title: string, sections: string[]): string {
  const nav = `<nav>${NAV.map(([id, name]) => `<a href="#${id}">${esc(name)}</a>`).join('')}</nav>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
${sections[0] ?? ''}
${nav}
${sections.slice(1).join('\n')}
<footer class="note">Written by kvsim report. Self-contained: no scripts, fonts or images are loaded from anywhere.</footer>
</body>
</html>
`;
}
