// Reliability diagram: observed fraction of positives against mean predicted probability per bin, the
// diagonal of perfect calibration, and how many images fall in each bin (sparse bins are noisy).
import type { TopLevelSpec } from 'vega-lite';
import type { CalibrationData } from '../types.js';
import { fmt, isFiniteNumber } from '../format.js';
import { COLORS, CONFIG, markLegend } from './theme.js';

export function reliabilityTitle(c: CalibrationData): string {
  const parts = [isFiniteNumber(c.ece) ? `ECE = ${fmt(c.ece)}` : '', isFiniteNumber(c.brier) ? `Brier = ${fmt(c.brier)}` : ''].filter(Boolean);
  return parts.length ? `Reliability diagram — ${parts.join(', ')}` : 'Reliability diagram';
}

export function reliabilitySpec(c: CalibrationData): TopLevelSpec {
  const n = c.probPred.length;
  if (c.probTrue.length !== n) throw new Error(`reliability diagram: probPred has ${n} values but probTrue ${c.probTrue.length}`);
  if (c.counts && c.counts.length !== n) throw new Error(`reliability diagram: ${n} bins but ${c.counts.length} counts`);
  const nBins = c.nBins !== undefined && Number.isInteger(c.nBins) && c.nBins > 0 ? c.nBins : null;
  const bins: { pred: number; obs: number; count: number | null; lo: number; hi: number }[] = [];
  for (let i = 0; i < n; i++) {
    const pred = c.probPred[i];
    const obs = c.probTrue[i];
    if (!isFiniteNumber(pred) || !isFiniteNumber(obs)) continue;
    const count = c.counts && isFiniteNumber(c.counts[i]) ? c.counts[i] : null;
    // With the bin count known, a bar spans its uniform bin; otherwise a narrow bar sits at the mean.
    const k = nBins ? Math.min(nBins - 1, Math.max(0, Math.floor(pred * nBins))) : -1;
    bins.push({ pred, obs, count, lo: nBins ? k / nBins : Math.max(0, pred - 0.015), hi: nBins ? (k + 1) / nBins : Math.min(1, pred + 0.015) });
  }
  const domain = ['model', 'perfectly calibrated'];
  const color = (name: string) => ({ datum: name, type: 'nominal' as const, scale: { domain, range: [COLORS.model, COLORS.chance] }, legend: markLegend({ dashed: ['perfectly calibrated'] }) });
  const x = { field: 'pred', type: 'quantitative' as const, title: 'Mean predicted probability', scale: { domain: [0, 1] } };
  const curve = {
    width: 340,
    height: 300,
    layer: [
      {
        data: { values: [{ pred: 0, obs: 0 }, { pred: 1, obs: 1 }] },
        mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.2 },
        encoding: { x, y: { field: 'obs', type: 'quantitative', title: 'Fraction of positives', scale: { domain: [0, 1] } }, color: color('perfectly calibrated') },
      },
      {
        data: { values: bins },
        mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2.2 },
        encoding: { x, y: { field: 'obs', type: 'quantitative' }, color: color('model') },
      },
    ],
  };
  const withCounts = bins.some((b) => b.count !== null);
  if (!withCounts) return { config: CONFIG, title: reliabilityTitle(c), ...curve } as TopLevelSpec;
  const countPanel = {
    width: 340,
    height: 90,
    data: { values: bins.filter((b) => b.count !== null) },
    layer: [
      {
        mark: { type: 'rect', color: COLORS.model, opacity: 0.55, stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: 'Predicted probability (bins)', scale: { domain: [0, 1] } },
          x2: { field: 'hi' },
          y: { field: 'count', type: 'quantitative', title: 'Images' },
          y2: { datum: 0 },
        },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10, color: '#333' },
        transform: [{ calculate: '(datum.lo + datum.hi) / 2', as: 'mid' }],
        encoding: { x: { field: 'mid', type: 'quantitative' }, y: { field: 'count', type: 'quantitative' }, text: { field: 'count', type: 'quantitative' } },
      },
    ],
  };
  return { config: CONFIG, title: reliabilityTitle(c), vconcat: [curve, countPanel], spacing: 14 } as TopLevelSpec;
}
