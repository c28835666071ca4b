// The report's stylesheet, inlined into the page (the report must open with no network and no other file).
export const REPORT_CSS = `
:root { --fg: #1d2330; --muted: #5d6677; --line: #e2e6ee; --bg: #f6f7fa; --card: #fff; --accent: #1f5fa8; --warn: #9a5b00; --warnbg: #fff6e5; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
header { background: #18202f; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0; font-size: 24px; font-weight: 650; overflow-wrap: anywhere; }
header p { margin: 4px 0 0; color: #b9c2d3; font-size: 13px; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); padding: 8px 32px; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 32px 40px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px; margin: 0 0 18px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 14px 0 8px; color: var(--muted); }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 5px 12px 5px 0; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; padding-left: 12px; }
table.kv th { width: 220px; }
table.kv td { overflow-wrap: anywhere; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 14px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.tile .v { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .k { font-size: 12px; color: var(--muted); }
pre { background: #f3f5f9; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; overflow: auto; font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; margin: 0; }
details > summary { cursor: pointer; color: var(--accent); margin-bottom: 8px; }
.warnings { margin: 10px 0 0; padding: 10px 14px 10px 30px; background: var(--warnbg); border: 1px solid #f1d9a6; border-radius: 6px; color: var(--warn); }
.ok { color: #2e7d32; }
.muted { color: var(--muted); font-size: 13px; }
th .muted { font-weight: 400; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 16px; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
.gallery figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px; text-align: center; }
.gallery .thumb { height: 110px; display: flex; align-items: center; justify-content: center; }
.gallery img { max-width: 100%; max-height: 110px; }
.gallery img.pixelated { image-rendering: pixelated; }
.gallery figcaption { text-align: left; overflow-wrap: anywhere; }
.gallery .wrong { color: #c62828; font-weight: 600; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 0 0 24px; }
@media print { nav { display: none; } section { break-inside: avoid; } body { background: #fff; } }
`;
