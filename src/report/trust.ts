// Report sections that put a result beside its reference (issue 20): the probabilities before and after temperature
// scaling (a table of log loss, ECE, Brier, AUC and both reliability diagrams), and the plain result beside the
// test-time-augmented one. The numbers come from the caller (src/eval); this file only lays them out.
import type { ReportSection, CalibrationData } from './types.js';
import { escapeHtml as esc } from './escape.js';
import { fmt } from './format.js';
import { scopeSvgIds } from './html.js';
import { renderSvg } from './vega.js';
import { reliabilitySpec } from './charts/reliability.js';

/** One column of a comparison: its heading and its values by metric name (null: not defined). */
export interface ComparisonColumn {
  heading: string;
  values: Record<string, number | null>;
}

/** The metrics shown, in order, with their names in the table. */
const ROWS: [string, string][] = [
  ['auc', 'ROC AUC'], ['accuracy', 'Accuracy'], ['log_loss', 'Log loss'], ['brier', 'Brier score'], ['ece', 'Expected calibration error'],
];

function table(columns: ComparisonColumn[]): string {
  const rows = ROWS.filter(([k]) => columns.some((c) => c.values[k] !== undefined));
  const head = `<tr><th>Metric</th>${columns.map((c) => `<th>${esc(c.heading)}</th>`).join('')}</tr>`;
  const body = rows.map(([k, name]) => `<tr><td>${esc(name)}</td>${columns.map((c) => {
    const v = c.values[k];
    return `<td>${v === null || v === undefined || !Number.isFinite(v) ? '–' : fmt(v)}</td>`;
  }).join('')}</tr>`).join('');
  return `<table class="kv">${head}${body}</table>`;
}

/**
 * The calibration section: the table before/after and, for a binary model, the reliability diagram of each
 * (`diagrams`: before, after).
 */
export async function calibrationSection(temperature: number, columns: [ComparisonColumn, ComparisonColumn],
  diagrams: [CalibrationData, CalibrationData] | null, split: string): Promise<ReportSection> {
  let figures = '';
  if (diagrams) {
    const svgs = await Promise.all(diagrams.map((d) => renderSvg(reliabilitySpec(d))));
    figures = svgs.map((svg, i) => `<figure aria-label="${esc(columns[i]!.heading)}"><figcaption>${esc(columns[i]!.heading)}</figcaption>${scopeSvgIds(svg, `t${i}`)}</figure>`).join('\n');
  }
  return {
    id: 'calibration-temperature', name: 'Temperature scaling',
    html: `<section id="calibration-temperature"><h2>Temperature scaling</h2><p>The model divides its logits by T = ${fmt(temperature)} ` +
      `(fitted on the validation logits by minimising the log loss, Guo et al. 2017) before the ${esc(split)} probabilities are computed; ` +
      `the decision threshold was chosen after it. Before: the same model at T = 1.</p>${table(columns)}${figures}</section>`,
  };
}

/** The test-time augmentation section: the plain result beside the augmented one. */
export function ttaSection(method: string, averages: string, columns: [ComparisonColumn, ComparisonColumn]): ReportSection {
  return {
    id: 'tta', name: 'Test-time augmentation',
    html: `<section id="tta"><h2>Test-time augmentation</h2><p>With --tta ${esc(method)}, the metrics above are those of the mean of the ` +
      `probabilities of ${esc(averages)} (as fastai's tta). Beside them, the same model without it.</p>${table(columns)}</section>`,
  };
}

/** What the conformal section shows: the fit and how its sets did on the evaluated images. */
export interface ConformalSummary {
  alpha: number;
  /** One threshold, or one per class (class-conditional sets). */
  qhat: number | readonly number[];
  /** The validation images q̂ was fitted on. */
  n: number;
  coverage: number;
  meanSetSize: number;
  emptySets: number;
  /** Per class: its name, images, and the share whose set held it (null: none of it). */
  classes: { name: string; count: number; coverage: number | null }[];
}

/** The conformal prediction section: the guarantee, the achieved coverage and set sizes, and coverage per class. */
export function conformalSection(c: ConformalSummary, split: string): ReportSection {
  const perClass = typeof c.qhat !== 'number';
  const rows = c.classes.map((k, i) => `<tr><td>${esc(k.name)}</td><td>${k.count}</td>${perClass ? `<td>${fmt(1 - (c.qhat as readonly number[])[i]!)}</td>` : ''}` +
    `<td>${k.coverage === null ? '–' : fmt(k.coverage)}</td></tr>`).join('');
  const rule = typeof c.qhat === 'number'
    ? `Each image's set holds every class of probability at least ${fmt(1 - c.qhat)} (q̂ = ${fmt(c.qhat)}, fitted on ${c.n} validation images for α = ${fmt(c.alpha)}): ` +
      `when the ${esc(split)} images are exchangeable with those, a set holds the true class with probability at least ${fmt(1 - c.alpha)}, over images (not per class). `
    : `Each image's set holds every class of probability at least that class's own cut (one q̂ per class, each fitted on that class's validation images, ${c.n} in all, ` +
      `for α = ${fmt(c.alpha)}): when the ${esc(split)} images are exchangeable with those, each class's images find it in their set with probability at least ${fmt(1 - c.alpha)}. `;
  return {
    id: 'conformal', name: 'Conformal prediction sets',
    html: `<section id="conformal"><h2>Conformal prediction sets</h2><p>${rule}` +
      `On the ${esc(split)} split: coverage ${fmt(c.coverage)}, mean set size ${fmt(c.meanSetSize)}, empty sets ${fmt(c.emptySets)}.</p>` +
      `<table class="kv"><tr><th>Class</th><th>Images</th>${perClass ? '<th>Cut (1 − q̂)</th>' : ''}<th>Coverage</th></tr>${rows}</table></section>`,
  };
}
