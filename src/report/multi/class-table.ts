// The per-class table of a C-class report: one row per class (precision and recall each with its 95 % Wilson
// interval; multilabel: per label, with its threshold and average precision), every name escaped. Undefined
// values (no AUC without a positive, no interval without a denominator) print as a dash.
import { escapeHtml as esc } from '../escape.js';
import { fmt } from '../format.js';
import type { ClassStats } from './per-class.js';

export function perClassTableHtml(stats: ClassStats[], unit: 'class' | 'label' = 'class'): string {
  const multilabel = unit === 'label';
  const head = ['<th>' + (multilabel ? 'Label' : 'Class') + '</th>', '<th class="num">Support</th>', '<th class="num">Precision</th>',
    '<th class="num">95% CI</th>', '<th class="num">Recall</th>', '<th class="num">95% CI</th>', '<th class="num">F1</th>', '<th class="num">ROC AUC (one-vs-rest)</th>',
    ...(multilabel ? ['<th class="num">Threshold</th>', '<th class="num">Average precision</th>'] : [])];
  const num = (v: number | null | undefined) => `<td class="num">${esc(fmt(v, 3))}</td>`;
  // Wilson intervals (null: no predicted image for precision, no true image for recall).
  const ci = (v: [number, number] | null) => `<td class="num muted">${v ? `${esc(fmt(v[0], 3))}–${esc(fmt(v[1], 3))}` : '–'}</td>`;
  const rows = stats.map((s) => `<tr><td>${esc(s.name)}</td><td class="num">${s.support}</td>${num(s.precision)}${ci(s.precisionCi95)}${num(s.recall)}${ci(s.recallCi95)}${num(s.f1)}${num(s.auc)}` +
    (multilabel ? `${num(s.threshold)}${num(s.averagePrecision)}` : '') + '</tr>');
  return `<table class="per-class"><tr>${head.join('')}</tr>${rows.join('')}</table>`;
}
