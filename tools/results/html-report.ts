// report.html: a run's results for a person, with the pictures its checks
// drew (tools/results/pictures.ts) first, then every case, then the
// failures' diagnostics. One self-contained page beside results.json; the
// pictures are the PNG files next to it.
import escapeHtml from 'escape-html';
import type { AboutRows } from './about.js';
import type { Picture } from './pictures.js';

export interface ReportRow {
  /** The case's suite path and name, joined. */
  id: string;
  status: string;
  reason?: string;
  seconds?: number;
  diagnostics: string[];
  pictures: Picture[];
}

export interface ReportPage {
  title: string;
  /** What was tested: versions, trees, options (label, value). */
  about: AboutRows;
  /** The closing count line, e.g. "12 passed, 0 failed, 0 skipped". */
  summary: string;
  verdict: string;
  rows: ReportRow[];
}

/** How many times larger than drawn a picture is shown (they are small, and kept sharp). */
const SCALE = 4;
/** Diagnostics shown per failed case, the last ones (results.json has them all). */
const DIAGNOSTIC_LINES = 40;

const STYLE = `
body { font-family: sans-serif; margin: 2em; max-width: 70em; }
.verdict { font-size: 1.3em; font-weight: bold; }
.passed { color: #1a7f37; } .failed, .fail { color: #cf222e; } .skip, .nothing-passed, .no-results { color: #9a6700; }
figure { display: inline-block; margin: 0 2em 2em 0; vertical-align: top; }
figure img { image-rendering: pixelated; border: 1px solid #888;
  background: repeating-conic-gradient(#ddd 0% 25%, #fff 0% 50%) 0 0 / 16px 16px; }
figcaption { font-size: 0.9em; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.8em; text-align: left; vertical-align: top; }
tr:nth-child(even) { background: #f4f4f4; }
pre { background: #f4f4f4; padding: 0.5em; overflow-x: auto; }
`;

const e = (text: string | number): string => escapeHtml(String(text));

function figure(row: ReportRow, p: Picture): string {
  return [
    // As wide as the picture, so a long caption wraps under it.
    `<figure style="width: ${p.width * SCALE}px">`,
    `<img src="${e(p.file)}" width="${p.width * SCALE}" height="${p.height * SCALE}" alt="${e(p.title)}">`,
    `<figcaption>${e(p.title)}<br><small>${e(row.id)}: <span class="${e(row.status)}">${e(row.status)}</span>, ${p.width}x${p.height}</small></figcaption>`,
    '</figure>',
  ].join('\n');
}

export function renderHtmlReport(page: ReportPage): string {
  const pictures = page.rows.flatMap((row) => row.pictures.map((p) => figure(row, p)));
  const rows = page.rows.map(
    (r) =>
      `<tr><td class="${e(r.status)}">${e(r.status.toUpperCase())}</td><td>${r.seconds === undefined ? '' : e(r.seconds.toFixed(1))}</td><td>${e(r.id)}</td><td>${e(r.reason ?? '')}</td></tr>`,
  );
  const failures = page.rows
    .filter((r) => r.status === 'fail')
    .map((r) => `<h3>${e(r.id)}</h3>\n<pre>${e([r.reason ?? '', ...r.diagnostics.slice(-DIAGNOSTIC_LINES)].join('\n').trim())}</pre>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${e(page.title)}: ${e(page.verdict)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${e(page.title)}</h1>`,
    `<p class="verdict ${e(page.verdict.replace(/ /g, '-'))}">${e(page.verdict)}: ${e(page.summary)}</p>`,
    '<p>Beside this page: <a href="results.json">results.json</a>, <a href="junit.xml">junit.xml</a>, <a href="metadata.json">metadata.json</a> (versions, configuration hashes, the command to reproduce the run).</p>',
    ...(page.about.length
      ? ['<h2>What was tested</h2>', '<table>', ...page.about.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`), '</table>']
      : []),
    ...(pictures.length ? ['<h2>Pictures</h2>', ...pictures] : []),
    '<h2>Cases</h2>',
    '<table><tr><th>status</th><th>s</th><th>case</th><th>reason</th></tr>',
    ...rows,
    '</table>',
    ...(failures.length ? ['<h2>Failures</h2>', ...failures] : []),
    '</body></html>',
    '',
  ].join('\n');
}
