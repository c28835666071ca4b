// Training curves from RUN/history rows: loss (train/val), validation AUC and accuracies, and the
// learning rate on a log scale, stacked on a shared epoch axis with the phase boundaries as rules.
import type { TopLevelSpec } from 'vega-lite';
import type { HistoryRow, PhaseEpoch, TrainingMarks } from '../types.js';
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

/** How a phase is named on the chart: its own name ("phase2", "head"); a bare number n reads "phase n". */
export function phaseLabel(phase: unknown): string {
  const s = String(phase);
  return /^\d+$/.test(s) ? `phase ${s}` : s;
}

/** Phase boundaries: x halfway between the last epoch of a phase and the first of the next. */
export function phaseBoundaries(rows: HistoryRow[], xs: number[]): { x: number; label: string }[] {
  const out: { x: number; label: string }[] = [];
  for (let i = 1; i < rows.length; i++) {
    if (String(rows[i].phase) !== String(rows[i - 1].phase)) out.push({ x: (xs[i - 1] + xs[i]) / 2, label: phaseLabel(rows[i].phase) });
  }
  return out;
}

/** Where each phase's region starts (half an epoch before its first row) and its name, the first phase included. */
export function phaseRegions(rows: HistoryRow[], xs: number[]): { x: number; label: string }[] {
  const out: { x: number; label: string }[] = [];
  rows.forEach((r, i) => {
    if (i === 0 || String(r.phase) !== String(rows[i - 1].phase)) out.push({ x: i === 0 ? xs[0] - 0.5 : (xs[i - 1] + xs[i]) / 2, label: phaseLabel(r.phase) });
  });
  return out;
}

export interface EpochMark { x: number; kind: 'model' | 'restored'; phase: string; epoch: number; label: string }

/**
 * The chart x of the marked epochs, found by (phase, per-phase epoch) in the history rows. An epoch the
 * history does not hold is not drawn (never guessed); a restored epoch that is also the model is drawn once.
 */
export function epochMarks(rows: HistoryRow[], xs: number[], marks: TrainingMarks | null | undefined): EpochMark[] {
  if (!marks) return [];
  const find = (pe: PhaseEpoch | null | undefined) => {
    if (!pe) return -1;
    return rows.findIndex((r) => String(r.phase) === String(pe.phase) && Number(r.epoch) === Number(pe.epoch));
  };
  const out: EpochMark[] = [];
  const m = find(marks.model);
  if (m >= 0) {
    out.push({ x: xs[m], kind: 'model', phase: String(rows[m].phase), epoch: Number(rows[m].epoch), label: `model: ${phaseLabel(rows[m].phase)} epoch ${Number(rows[m].epoch)}` });
  }
  for (const pe of marks.restored ?? []) {
    const i = find(pe);
    if (i < 0 || i === m || out.some((o) => o.x === xs[i])) continue;
    out.push({ x: xs[i], kind: 'restored', phase: String(rows[i].phase), epoch: Number(rows[i].epoch), label: `${phaseLabel(rows[i].phase)} epoch ${Number(rows[i].epoch)}` });
  }
  return out;
}

/**
 * The legend entry of a mark. Each restored epoch has its own entry naming its phase and epoch, so that a dotted
 * rule in a panel can be told from the other phase's (QA round 6: one "restored at phase end" entry for all).
 */
function markName(mk: EpochMark): string {
  return mk.kind === 'model' ? 'final model' : `restored: ${mk.label}`;
}

const PANELS: { title: string; log?: boolean; domain?: [number, number]; series: [keyof HistoryRow & string, string, string][] }[] = [
  { title: 'Loss', series: [['train_loss', 'train loss', COLORS.train], ['val_loss', 'val loss', COLORS.val]] },
  {
    title: 'AUC / accuracy', domain: [0, 1],
    series: [['val_auc', 'val AUC', COLORS.extra], ['train_accuracy', 'train accuracy', COLORS.train], ['val_accuracy', 'val accuracy', COLORS.val]],
  },
  { title: 'Learning rate', log: true, series: [['lr', 'learning rate', '#6b4c9a']] },
];

export function trainingSpec(rows: HistoryRow[], marks?: TrainingMarks | null): TopLevelSpec {
  const xs = overallEpochs(rows);
  const boundaries = phaseBoundaries(rows, xs);
  const regions = phaseRegions(rows, xs);
  const marked = epochMarks(rows, xs, marks);
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
          x: {
            field: 'x', type: 'quantitative', scale: xScale, axis: { values: xTicks, format: 'd' },
            // history.csv and the run summary count epochs per phase; this axis does not.
            title: panelIndex === PANELS.length - 1 ? 'Epoch, counted over the whole run (phases one after the other)' : 'Epoch (whole run)',
          },
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
    }
    // The marked epochs run through every panel: a solid red rule for the model, dotted grey for restored ones.
    for (const kind of ['restored', 'model'] as const) {
      const values = marked.filter((mk) => mk.kind === kind);
      if (!values.length) continue;
      layers.push({
        data: { values },
        mark: kind === 'model' ? { type: 'rule', color: COLORS.mark, strokeWidth: 1.5, opacity: 0.8 } : { type: 'rule', color: '#444', strokeDash: [1.5, 2.5], strokeWidth: 1.5 },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      });
    }
    return { title: { text: panel.title, fontSize: 13 }, width: 520, height: 150, layer: layers };
  });
  return {
    config: CONFIG,
    title: 'Training curves',
    vconcat: [timeline(regions, marked, xScale), ...perPanel],
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
    spacing: 18,
  } as TopLevelSpec;
}

/**
 * A strip above the panels on the same x scale: the phases' names at the start of their regions and the
 * marked epochs as symbols, the model's with its label in the per-phase numbering of the run summary.
 * Text here cannot be hidden by a curve.
 */
function timeline(regions: { x: number; label: string }[], marked: EpochMark[], xScale: object) {
  const x = { field: 'x', type: 'quantitative' as const, scale: xScale, axis: null };
  const layers: any[] = [
    { data: { values: regions }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, y: 0, fontSize: 11, fontWeight: 'bold', color: '#555' }, encoding: { x, text: { field: 'label' } } },
  ];
  if (regions.length > 1) {
    layers.push({ data: { values: regions.slice(1) }, mark: { type: 'rule', strokeDash: [4, 3], color: '#777' }, encoding: { x } });
  }
  if (marked.length) {
    const values = marked.map((mk) => ({ ...mk, name: markName(mk) }));
    // The model first, then the restored epochs in run order.
    const domain = [...values.filter((v) => v.kind === 'model'), ...values.filter((v) => v.kind === 'restored').sort((a, b) => a.x - b.x)].map((v) => v.name);
    layers.push({
      data: { values },
      mark: { type: 'point', filled: true, size: 70, y: 28, shape: 'triangle-down' },
      encoding: {
        x,
        color: { field: 'name', type: 'nominal', scale: { domain, range: domain.map((d) => (d === 'final model' ? COLORS.mark : '#444')) }, legend: { title: null, orient: 'right', symbolType: 'triangle-down', labelLimit: 260 } },
      },
    });
    // The model's label sits on its own line under the symbols (beside them it ran into the other marks), right
    // of its symbol, or left of it in the right half, so it stays in the strip.
    const [lo, hi] = (xScale as { domain: [number, number] }).domain;
    for (const mk of values.filter((v) => v.kind === 'model')) {
      const right = mk.x > lo + 0.55 * (hi - lo);
      layers.push({
        data: { values: [mk] },
        mark: { type: 'text', baseline: 'middle', y: 44, fontSize: 11, fontWeight: 'bold', color: COLORS.mark, align: right ? 'right' : 'left', dx: right ? 4 : -4 },
        encoding: { x, text: { field: 'label' } },
      });
    }
  }
  return { width: 520, height: marked.length ? 52 : 36, view: { stroke: null }, layer: layers };
}
