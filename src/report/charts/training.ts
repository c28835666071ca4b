// Training curves from RUN/history rows: loss (train/val), validation AUC and accuracies, and the
// learning rate on a log scale, stacked on a shared epoch axis with the phase boundaries as rules.
import type { TopLevelSpec } from 'vega-lite';
import type { HistoryRow } from '../types.js';
import { isFiniteNumber } from '../format.js';
import { COLORS, CONFIG } from './theme.js';

// Rows read back from history.csv carry numbers as strings; empty cells mean "not computed".
function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return null;
}

interface Point { x: number; series: string; value: number; phase: string }

/**
 * The x of each row. Epochs may count per phase (1..n, 1..m) or across the run; when they do not
 * increase strictly over the whole history, rows are numbered in order so phases sit side by side.
 */
export function overallEpochs(rows: HistoryRow[]): number[] {
  const epochs = rows.map((r) => Number(r.epoch));
  const increasing = epochs.every((e, i) => Number.isFinite(e) && (i === 0 || e > epochs[i - 1]));
  return increasing ? epochs : rows.map((_, i) => i + 1);
}

/** Phase boundaries: x halfway between the last epoch of a phase and the first of the next. */
export function phaseBoundaries(rows: HistoryRow[], xs: number[]): { x: number; label: string }[] {
  const out: { x: number; label: string }[] = [];
  for (let i = 1; i < rows.length; i++) {
    if (String(rows[i].phase) !== String(rows[i - 1].phase)) out.push({ x: (xs[i - 1] + xs[i]) / 2, label: `phase ${rows[i].phase}` });
  }
  return out;
}

const PANELS: { title: string; log?: boolean; domain?: [number, number]; series: [keyof HistoryRow & string, string, string][] }[] = [
  { title: 'Loss', series: [['train_loss', 'train loss', COLORS.train], ['val_loss', 'val loss', COLORS.val]] },
  {
    title: 'AUC / accuracy', domain: [0, 1],
    series: [['val_auc', 'val AUC', COLORS.extra], ['train_accuracy', 'train accuracy', COLORS.train], ['val_accuracy', 'val accuracy', COLORS.val]],
  },
  { title: 'Learning rate', log: true, series: [['lr', 'learning rate', '#6b4c9a']] },
];

export function trainingSpec(rows: HistoryRow[]): TopLevelSpec {
  const xs = overallEpochs(rows);
  const boundaries = phaseBoundaries(rows, xs);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const xScale = { domain: [xMin - 0.5, xMax + 0.5], nice: false, zero: false };
  // Whole epochs only, at most ~15 labels; automatic ticks would land on the half-epoch padding.
  const every = Math.max(1, Math.ceil((xMax - xMin + 1) / 15));
  const xTicks: number[] = [];
  for (let e = Math.ceil(xMin); e <= xMax; e += every) xTicks.push(e);
  const perPanel = PANELS.map((panel, panelIndex) => {
    const points: Point[] = [];
    rows.forEach((row, i) => {
      for (const [key, name] of panel.series) {
        const v = toNumber(row[key]);
        // log scale: zero or negative learning rates cannot be placed, so they are left out
        if (isFiniteNumber(v) && (!panel.log || v > 0)) points.push({ x: xs[i], series: name, value: v, phase: String(row.phase) });
      }
    });
    const names = panel.series.map((s) => s[1]);
    const layers: any[] = [
      {
        data: { values: points },
        // The learning rate holds for a whole epoch, so it is drawn as steps, not as a slope.
        mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2, ...(panel.log ? { interpolate: 'step-after' } : {}) },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'Epoch', scale: xScale, axis: { values: xTicks, format: 'd' } },
          y: {
            field: 'value', type: 'quantitative', title: panel.title,
            scale: panel.log ? { type: 'log' } : panel.domain ? { domain: panel.domain } : { zero: false },
            ...(panel.log ? { axis: { format: '.0e' } } : {}),
          },
          color: { field: 'series', type: 'nominal', scale: { domain: names, range: panel.series.map((s) => s[2]) }, legend: { title: null, orient: 'right' } },
          detail: { field: 'phase' },
        },
      },
    ];
    if (boundaries.length) {
      layers.push({ data: { values: boundaries }, mark: { type: 'rule', strokeDash: [4, 3], color: '#777' }, encoding: { x: { field: 'x', type: 'quantitative' } } });
      // Named once, just above the top panel, where no curve can hide the label.
      if (panelIndex === 0) {
        layers.push({
          data: { values: boundaries },
          mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 3, y: -3, fontSize: 10, color: '#555' },
          encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'label' } },
        });
      }
    }
    return { title: { text: panel.title, fontSize: 13 }, width: 520, height: 150, layer: layers };
  });
  return {
    config: CONFIG,
    title: 'Training curves',
    vconcat: perPanel,
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
    spacing: 18,
  } as TopLevelSpec;
}
