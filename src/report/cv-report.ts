// The cross-validation report (RUN/report.html of `tlearn cv`): the folds' metrics with their mean ± sd, the
// AUC's interval across folds and the pooled out-of-fold AUC, and a gallery of the likeliest label errors
// (confident learning). Self-contained like the run report: the same stylesheet, CSP and embedded thumbnails.
import { writeFileAtomicAsync } from '../io/atomic.js';
import { escapeHtml as esc } from './escape.js';
import { galleryFigure } from './gallery-figure.js';
import { reportPage } from './html.js';
import { makeThumbnail, type Thumbnail } from './thumbnails.js';

export interface CvReportIssue { path: string; given: string; suggested: string; selfConfidence: number; rank: number }

export interface CvReportSummary {
  folds: number;
  task: string;
  pool: number;
  test: number;
  stratification: string;
  per_fold: { fold: number; images: { train: number; val: number }; metrics: Record<string, number | null> }[];
  mean_sd: Record<string, { mean: number; sd: number | null }>;
  auc_ci95_across_folds: { metric: string; method: string; interval: [number, number] | null };
  oof: { n: number; auc: number | null; auc_ci95: [number | null, number | null] | null; method: string | null };
  label_issues: { n: number; method: string } | null;
  notes: string[];
  seconds: number;
}

export interface CvReportData {
  summary: CvReportSummary;
  classes: string[];
  folds: number;
  /** The top-ranked label issues to show. */
  issues: CvReportIssue[];
  thumbnailSize?: number;
}

const num = (v: number | null | undefined, digits = 4): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

function metricsTable(s: CvReportSummary): string {
  const names = Object.keys(s.mean_sd);
  const head = `<tr><th>metric</th>${s.per_fold.map((f) => `<th class="num">fold ${f.fold}</th>`).join('')}<th class="num">mean</th><th class="num">sd</th></tr>`;
  const rows = names.map((n) => `<tr><td>${esc(n)}</td>${s.per_fold.map((f) => `<td class="num">${num(f.metrics[n])}</td>`).join('')}` +
    `<td class="num">${num(s.mean_sd[n]!.mean)}</td><td class="num">${num(s.mean_sd[n]!.sd)}</td></tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

function overview(s: CvReportSummary): string {
  const ci = s.auc_ci95_across_folds;
  const items: [string, string][] = [
    ['folds', `${s.folds} (${esc(s.stratification)})`],
    ['images', `${s.pool} in the training pool (each held out once), ${s.test} test images kept out`],
    ['task', esc(s.task)],
    [`${esc(ci.metric)} 95 % interval across folds`, ci.interval ? `[${num(ci.interval[0])}, ${num(ci.interval[1])}] (${esc(ci.method)})` : '–'],
    ['pooled out-of-fold AUC', s.oof.auc === null ? '–' : `${num(s.oof.auc)} [${num(s.oof.auc_ci95?.[0])}, ${num(s.oof.auc_ci95?.[1])}] (${esc(s.oof.method ?? '')})`],
    ['label issues', s.label_issues ? `${s.label_issues.n} (${esc(s.label_issues.method)})` : 'not computed'],
    ['duration', `${s.seconds.toFixed(1)} s`],
  ];
  const notes = s.notes.map((n) => `<p class="warn">${esc(n)}</p>`).join('');
  return `<table>${items.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>${notes}`;
}

async function issueGallery(d: CvReportData): Promise<string> {
  if (d.issues.length === 0) return '<p>No label issues were found.</p>';
  const size = d.thumbnailSize ?? 96;
  const figures: string[] = [];
  for (const it of d.issues) {
    let t: Thumbnail;
    try {
      t = await makeThumbnail(it.path, size);
    } catch {
      continue; // A file gone since training: left out of the gallery (it stays in label_issues.csv).
    }
    figures.push(galleryFigure(it.path, t, size, `<div>#${it.rank}: labelled <b>${esc(it.given)}</b></div>` +
      `<div>suggested <b>${esc(it.suggested)}</b></div><div>self-confidence ${num(it.selfConfidence, 3)}</div>`));
  }
  return `<p>The ${d.issues.length} likeliest label errors, lowest self-confidence (out-of-fold probability of the given label) first; all in label_issues.csv.</p><div class="gallery">${figures.join('\n')}</div>`;
}

export async function renderCvReport(d: CvReportData): Promise<string> {
  const s = d.summary;
  const sections = [
    { id: 'overview', name: 'Overview', html: overview(s) },
    { id: 'folds', name: 'Folds', html: metricsTable(s) },
    ...(s.label_issues ? [{ id: 'issues', name: 'Label issues', html: await issueGallery(d) }] : []),
  ];
  const title = `Cross-validation: ${s.folds} folds`;
  return reportPage(title, sections.map((x) => ({ ...x, html: `<section id="${x.id}"><h2>${esc(x.name)}</h2>${x.html}</section>` })));
}

export async function writeCvReport(file: string, d: CvReportData): Promise<void> {
  await writeFileAtomicAsync(file, await renderCvReport(d));
}
