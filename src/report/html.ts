// The self-contained HTML report: one file, inline CSS and SVG, thumbnails as data: URIs, no script.
// A Content-Security-Policy forbids any fetch, so a browser proves the page needs nothing else.
import { writeFileAtomicAsync } from '../io/atomic.js';
import type { AuditData, AuditFinding, ReportData } from './types.js';
import { auditReportData, isAuditJson } from './audit.js';
import { escapeHtml as esc } from './escape.js';
import { fmt, fmtDuration, fmtSignificant, isFiniteNumber } from './format.js';
import { readerWarnings } from './warnings.js';
import { REPORT_CSS } from './style.js';
import { renderCharts, type RenderedChart } from './write-charts.js';
import { buildGallery, CLOSE_CALL_MARGIN, mostConfidentlyWrong, type GalleryItem } from './gallery.js';
import { galleryFigure } from './gallery-figure.js';

export const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** Everything the page shows that had to be computed first (charts, thumbnails). */
export interface RenderedParts {
  charts: RenderedChart[];
  gallery: GalleryItem[];
  /** Mistakes whose image could not be read. */
  gallerySkipped: string[];
  /** Number of misclassified test images in total. */
  mistakes: number;
  /** The threshold the gallery's images are measured against (its captions give their distance from it). */
  threshold?: number | null;
  generatedAt?: Date;
}

/**
 * Inline SVGs share one document, so their ids (gradients, clip paths) could collide;
 * prefixing each chart's ids keeps every reference pointing into its own chart.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\sid="([^"]+)"/g, (_m, id) => ` id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_m, id) => `href="#${prefix}-${id}"`);
}

/** Summary keys holding a metric (val_auc, best val_loss, accuracy...): 1 prints as 1.0000 like elsewhere. */
const METRIC_KEY = /(^|[\s_])(auc|loss|accuracy|precision|recall|f1|specificity|mcc|brier)$/i;

function valueHtml(key: string, v: unknown): string {
  if (v === null || v === undefined) return '<span class="muted">–</span>';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '<span class="muted">–</span>';
    if (/seconds$|_s$|duration/i.test(key)) return esc(fmtDuration(v));
    // The console's rounding (4 significant digits): a weight like 1/19 is 0.05263 there and here.
    if (/pos_weight|posWeight/.test(key)) return esc(fmtSignificant(v));
    return esc(Number.isInteger(v) && !METRIC_KEY.test(key) ? String(v) : fmt(v, 4));
  }
  if (typeof v === 'string' || typeof v === 'boolean') return esc(String(v));
  return `<code>${esc(JSON.stringify(v))}</code>`;
}

function kvTable(rec: Record<string, unknown>): string {
  const rows = Object.entries(rec).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${valueHtml(k, v)}</td></tr>`);
  return `<table class="kv">${rows.join('')}</table>`;
}

const METRIC_LABELS: [string, string][] = [
  ['auc', 'ROC AUC'],
  ['average_precision', 'Average precision'],
  ['accuracy', 'Accuracy'],
  ['balanced_accuracy', 'Balanced accuracy'],
  ['precision', 'Precision'],
  ['recall', 'Recall (sensitivity)'],
  ['specificity', 'Specificity'],
  ['npv', 'Negative predictive value'],
  ['f1', 'F1'],
  ['mcc', 'Matthews corr. coef.'],
  ['brier', 'Brier score'],
  ['log_loss', 'Log loss'],
  ['ece', 'Expected calibration error'],
];
const HEADLINE = ['auc', 'accuracy', 'f1', 'average_precision'];
/** One line under a metric whose name alone does not say what it measures. */
const METRIC_NOTES: Record<string, string> = {
  ece: 'average gap between predicted probability and observed rate; 0 is perfectly calibrated',
};

type SplitName = NonNullable<ReportData['split']>;

/** How the page names the evaluated images: "27 test images", "27 images (all splits)". */
function imagesOf(split: SplitName, n: number | null): string {
  const count = n === null ? '' : `${n} `;
  const images = n === 1 ? 'image' : 'images';
  return split === 'all' ? `${count}${images} (all splits)` : `${count}${split} ${images}`;
}

function metricsHeading(split: SplitName): string {
  return split === 'all' ? 'Metrics on all images' : `${split[0]!.toUpperCase()}${split.slice(1)} metrics`;
}

function skippedHtml(skipped: NonNullable<ReportData['skipped']>): string {
  if (!skipped.length) return '';
  const n = skipped.length;
  return `<div class="warnings"><p>${n} image${n === 1 ? '' : 's'} could not be read and ${n === 1 ? 'is' : 'are'} not in these metrics:</p>` +
    `<ul>${skipped.map((s) => `<li><code>${esc(`${s.path}: ${s.reason}`)}</code></li>`).join('')}</ul></div>`;
}

/** metrics.json's warnings (e.g. data of one class only), shown above the headline numbers they qualify. */
function metricsWarningsHtml(m: Record<string, unknown>): string {
  const w = readerWarnings(Array.isArray(m.warnings) ? m.warnings.filter((x): x is string => typeof x === 'string') : []);
  return w.length ? `<div class="warnings">${w.map((x) => `<p>Warning: ${esc(x)}</p>`).join('')}</div>` : '';
}

/** The class absent from the evaluated images (support 0 in the classification report), or null. */
function absentClass(m: Record<string, unknown> | null | undefined, classes: [string, string] | null): string | null {
  const c = m?.confusion as Record<string, unknown> | undefined;
  if (!c || !['tn', 'fp', 'fn', 'tp'].every((k) => isFiniteNumber(c[k]))) return null;
  const [tn, fp, fn, tp] = [c.tn, c.fp, c.fn, c.tp] as number[];
  const absent = tn + fp === 0 ? 0 : tp + fn === 0 ? 1 : null;
  if (absent === null) return null;
  return classes ? `'${classes[absent]}'` : absent === 1 ? 'the positive class' : 'the negative class';
}

function metricsSection(m: Record<string, unknown>, split: SplitName, skipped: NonNullable<ReportData['skipped']>): string {
  const label = new Map(METRIC_LABELS);
  // With one class only, F1 and AP are trivially 0 or 1: no headline numbers, the table below still lists them.
  const headline = absentClass(m, null) === null ? HEADLINE : [];
  const tiles = headline.filter((k) => isFiniteNumber(m[k]))
    .map((k) => `<div class="tile"><div class="v">${esc(fmt(m[k], 3))}</div><div class="k">${esc(label.get(k) ?? k)}</div></div>`);
  const rows: string[] = [];
  const done = new Set<string>();
  const add = (k: string, name: string, v: unknown) => {
    done.add(k);
    // Known metrics are rates/scores (1 prints as 1.0000); unknown integers are likely counts.
    let text = isFiniteNumber(v) ? (Number.isInteger(v) && !label.has(k) ? String(v) : fmt(v, 4))
      : v === null || v === undefined || typeof v === 'number' ? '–' : String(v);
    // A metric's 95 % interval beside it (AUC: bootstrap; the proportions: Wilson), from metrics.json's <key>_ci95.
    const ci = m[`${k}_ci95`];
    done.add(`${k}_ci95`);
    if (Array.isArray(ci) && ci.length === 2 && ci.every(isFiniteNumber)) text += ` (95% CI ${fmt(ci[0], 4)}–${fmt(ci[1], 4)})`;
    const note = METRIC_NOTES[k] ? `<div class="muted">${esc(METRIC_NOTES[k])}</div>` : '';
    rows.push(`<tr><th>${esc(name)}${note}</th><td class="num">${esc(text)}</td></tr>`);
  };
  for (const [k, name] of METRIC_LABELS) {
    if (!(k in m)) continue;
    // The ECE depends on its binning: the label says how many bins (metrics.json's ece_bins).
    const bins = k === 'ece' && isFiniteNumber(m.ece_bins) ? ` (${m.ece_bins} bins)` : '';
    add(k, name + bins, m[k]);
  }
  done.add('ece_bins');
  // Any other scalar the producer added still shows up, so the table never hides a metric.
  for (const [k, v] of Object.entries(m)) {
    if (done.has(k) || ['n', 'classes', 'positive_class', 'threshold'].includes(k)) continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) add(k, k, v);
  }
  const context: string[] = [];
  if (isFiniteNumber(m.n)) context.push(imagesOf(split, m.n));
  if (m.positive_class !== undefined) context.push(`positive class <b>${esc(m.positive_class)}</b>`);
  if (isFiniteNumber(m.threshold)) context.push(`threshold ${esc(fmt(m.threshold, 4))}`);
  const conf = m.confusion as Record<string, unknown> | undefined;
  if (conf && ['tn', 'fp', 'fn', 'tp'].every((k) => isFiniteNumber(conf[k]))) {
    context.push(`TN ${conf.tn} · FP ${conf.fp} · FN ${conf.fn} · TP ${conf.tp}`);
  }
  return `<section id="metrics"><h2>${metricsHeading(split)}</h2>
${context.length ? `<p class="muted">${context.join(' · ')}</p>` : ''}
${metricsWarningsHtml(m)}
${skippedHtml(skipped)}
${tiles.length ? `<div class="tiles">${tiles.join('')}</div>` : ''}
<table>${rows.join('')}</table></section>`;
}

function auditSection(raw: NonNullable<ReportData['audit']>, posWeight: number | null): string {
  const a: AuditData = isAuditJson(raw) ? auditReportData(raw, { posWeight }) : (raw as AuditData);
  const parts: string[] = [];
  const counts = a.counts ?? {};
  const splits = Object.keys(counts);
  if (splits.length) {
    const classes = [...new Set(splits.flatMap((s) => Object.keys(counts[s] ?? {})))];
    const head = `<tr><th>Class</th>${splits.map((s) => `<th class="num">${esc(s)}</th>`).join('')}<th class="num">total</th></tr>`;
    const body = classes.map((c) => {
      const cells = splits.map((s) => counts[s]?.[c] ?? 0);
      return `<tr><td>${esc(c)}</td>${cells.map((n) => `<td class="num">${esc(n)}</td>`).join('')}<td class="num">${cells.reduce((x, y) => x + (Number(y) || 0), 0)}</td></tr>`;
    });
    const totals = splits.map((s) => Object.values(counts[s] ?? {}).reduce((x, y) => x + (Number(y) || 0), 0));
    body.push(`<tr><th>total</th>${totals.map((n) => `<th class="num">${n}</th>`).join('')}<th class="num">${totals.reduce((x, y) => x + y, 0)}</th></tr>`);
    parts.push(`<table>${head}${body.join('')}</table>`);
  }
  for (const n of a.notes ?? []) parts.push(`<p class="muted">${esc(n)}</p>`);
  const warnings = a.warnings ?? [];
  const item = (w: string | AuditFinding) => {
    if (typeof w === 'string') return `<li>${esc(w)}</li>`;
    const sub = w.items?.length ? `<ul>${w.items.map((i) => `<li><code>${esc(i)}</code></li>`).join('')}</ul>` : '';
    return `<li>${esc(w.text)}${sub}</li>`;
  };
  parts.push(warnings.length
    ? `<ul class="warnings">${warnings.map(item).join('')}</ul>`
    : '<p class="ok">No data warnings.</p>');
  if (a.details !== undefined) {
    parts.push(`<details><summary>Full audit</summary><pre>${esc(JSON.stringify(a.details, null, 2))}</pre></details>`);
  }
  return `<section id="audit"><h2>Data audit</h2>${parts.join('\n')}</section>`;
}

function figure(chart: RenderedChart, index: number): string {
  // No caption: every chart carries its own title (the same title its PNG shows).
  return `<figure id="fig-${chart.name}" aria-label="${esc(chart.caption)}">${scopeSvgIds(chart.svg, `c${index}`)}</figure>`;
}

/** "0.006 below the threshold": which side of the threshold an image fell, and how far. */
function marginText(p: number, threshold: number): string {
  const d = p - threshold;
  if (d === 0) return 'at the threshold';
  const side = d < 0 ? 'below' : 'above';
  return Math.abs(d) < 0.001 ? `less than 0.001 ${side} the threshold` : `${Math.abs(d).toFixed(3)} ${side} the threshold`;
}

function gallerySection(parts: RenderedParts, classes: [string, string], size: number, split: SplitName, threshold: number | null,
  overlays: NonNullable<ReportData['gallery']>['overlays'] = {}): string {
  const items = parts.gallery.map((g) => {
    const margin = threshold === null ? '' : `<div class="muted">${esc(marginText(g.probability, threshold))}</div>`;
    const overlay = Object.hasOwn(overlays, g.path) ? overlays[g.path] : undefined;
    return galleryFigure(g.path, overlay ?? g.thumbnail, size,
      `<div>true: <b>${esc(classes[g.truth])}</b></div><div class="wrong">predicted: ${esc(classes[g.predicted])}</div><div class="muted">p(${esc(classes[1])}) = ${esc(fmt(g.probability, 3))}</div>${margin}` +
      (overlay ? '<div class="muted">Grad-CAM of the prediction</div>' : ''));
  });
  const what = split === 'all' ? 'image' : `${split} image`;
  const images = split === 'all' ? 'images' : `${split} images`;
  // A weak model's errors are often near misses (p 0.494 at 0.5): "most confidently wrong" would oversell them.
  // Without a known threshold no distance is claimed.
  const closeCalls = threshold !== null && parts.gallery.length > 0 && parts.gallery.every((g) => g.margin < CLOSE_CALL_MARGIN);
  const heading = parts.mistakes === 0 ? `Misclassified ${images}`
    : closeCalls ? `Misclassified ${images} (closest calls)` : `Most confidently wrong ${images}`;
  const from = `the threshold${threshold === null ? '' : ` (${fmt(threshold, 3)})`}`;
  const all = parts.gallery.length === parts.mistakes;
  const shown = parts.gallery.length
    ? (all ? `, all shown, furthest from ${from} first` : `; the ${parts.gallery.length} furthest from ${from} shown`) +
      (closeCalls ? `, all within ${CLOSE_CALL_MARGIN} of it: near misses, not confident errors.` : '.')
    : '.';
  const note = [`${parts.mistakes} misclassified ${what}${parts.mistakes === 1 ? '' : 's'}${shown}`];
  if (parts.gallerySkipped.length) note.push(`${parts.gallerySkipped.length} could not be read and ${parts.gallerySkipped.length === 1 ? "was" : "were"} skipped.`);
  return `<section id="errors"><h2>${esc(heading)}</h2><p class="muted">${esc(note.join(' '))}</p>
${items.length ? `<div class="gallery">${items.join('\n')}</div>` : ''}</section>`;
}

/** The threshold the predictions were made with: given explicitly, else metrics.json's; null when neither says. */
function reportThreshold(data: ReportData): number | null {
  if (isFiniteNumber(data.threshold)) return data.threshold;
  return isFiniteNumber(data.metrics?.threshold) ? data.metrics.threshold : null;
}

/** Class names for the gallery: given explicitly, else metrics.json's `classes`. */
function reportClasses(data: ReportData): [string, string] | null {
  if (data.classes) return data.classes;
  const c = data.metrics?.classes;
  return Array.isArray(c) && c.length === 2 ? [String(c[0]), String(c[1])] : null;
}

/** The numbers are scikit-learn's; with a class absent they read as results unless the page says why. */
function supportZeroNote(absent: string | null): string {
  if (absent === null) return '';
  return `<div class="warnings"><p>The evaluated images hold no image of the class ${esc(absent)} (support 0): its row is 0 by convention ` +
    '(as scikit-learn writes it), and the macro average includes that row, so neither is a measured result.</p></div>';
}

/** Renders the report page from data and pre-rendered parts. Pure and synchronous. */
export function renderReportHtml(data: ReportData, parts: RenderedParts): string {
  const title = data.title ?? 'tlearn report';
  const sections: { id: string; name: string; html: string }[] = [];
  if (data.summary && Object.keys(data.summary).length) {
    sections.push({ id: 'summary', name: 'Summary', html: `<section id="summary"><h2>Summary</h2>${kvTable(data.summary)}</section>` });
  }
  if (data.config !== undefined && data.config !== null) {
    sections.push({
      id: 'config', name: 'Configuration',
      html: `<section id="config"><h2>Configuration</h2><details><summary>Resolved configuration (JSON)</summary><pre>${esc(JSON.stringify(data.config, null, 2))}</pre></details></section>`,
    });
  }
  const split = data.split ?? 'test';
  if (data.audit) sections.push({ id: 'audit', name: 'Data audit', html: auditSection(data.audit, data.posWeight ?? null) });
  const training = parts.charts.findIndex((c) => c.name === 'training_curves');
  if (training >= 0) {
    sections.push({ id: 'training', name: 'Training', html: `<section id="training"><h2>Training</h2>${figure(parts.charts[training], training)}</section>` });
  }
  if (data.metrics) sections.push({ id: 'metrics', name: 'Metrics', html: metricsSection(data.metrics, split, data.skipped ?? []) });
  if (data.classificationReport) {
    sections.push({
      id: 'classification-report', name: 'Classification report',
      html: `<section id="classification-report"><h2>Classification report</h2>${supportZeroNote(absentClass(data.metrics, reportClasses(data)))}<pre>${esc(data.classificationReport)}</pre></section>`,
    });
  }
  for (const extra of data.sections ?? []) sections.push(extra);
  const plots = parts.charts.map((c, i) => ({ c, i })).filter(({ c }) => c.name !== 'training_curves');
  if (plots.length) {
    sections.push({ id: 'plots', name: 'Plots', html: `<section id="plots"><h2>Evaluation plots</h2><div class="plots">${plots.map(({ c, i }) => figure(c, i)).join('\n')}</div></section>` });
  }
  const classes = reportClasses(data);
  if (data.predictions && classes) {
    const threshold = isFiniteNumber(parts.threshold) ? parts.threshold : reportThreshold(data);
    sections.push({ id: 'errors', name: 'Misclassified', html: gallerySection(parts, classes, data.gallery?.thumbnailSize ?? 96, split, threshold, data.gallery?.overlays) });
  }
  return reportPage(title, sections, data.footer ?? 'Generated by tlearn', parts.generatedAt);
}

/** The self-contained page around a report's sections (each already its own <section>): one shell for every report. */
export function reportPage(title: string, sections: ReadonlyArray<{ id: string; name: string; html: string }>, footer = 'Generated by tlearn', at = new Date()): string {
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>Generated ${esc(when)}</p></header>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.name)}</a>`).join('')}</nav>
<main>
${sections.map((s) => s.html).join('\n')}
</main>
<footer>${esc(footer)}</footer>
</body>
</html>
`;
}

export interface WriteReportResult {
  file: string;
  bytes: number;
  charts: string[];
  gallery: number;
  gallerySkipped: string[];
}

/** Renders charts and thumbnails and writes the single-file HTML report (atomically). */
export async function writeReport(file: string, data: ReportData): Promise<WriteReportResult> {
  const charts = data.charts ? await renderCharts(data.charts) : [];
  let gallery: GalleryItem[] = [];
  let skipped: string[] = [];
  let mistakes = 0;
  let threshold: number | null = null;
  const classes = reportClasses(data);
  if (data.predictions && classes) {
    threshold = reportThreshold(data) ?? 0.5;
    const wrong = mostConfidentlyWrong(data.predictions, classes, threshold);
    mistakes = wrong.length;
    ({ items: gallery, skipped } = await buildGallery(wrong, data.gallery ?? {}));
  }
  const html = renderReportHtml(data, { charts, gallery, gallerySkipped: skipped, mistakes, threshold });
  // io's writer creates the folder, and removes its temporary file when the write fails.
  await writeFileAtomicAsync(file, html);
  return { file, bytes: Buffer.byteLength(html), charts: charts.map((c) => c.name), gallery: gallery.length, gallerySkipped: skipped };
}
