// Histogram of predicted positive-class probabilities, one panel per true class, threshold marked.
// A well-separated model piles the negative class near 0 and the positive class near 1. Early or small
// models often put every probability in a narrow band (0.45-0.60, say): fixed 0.05 bins on [0, 1] would
// then draw both classes as the same one or two bars, so by default the bins are fitted to the observed
// range, and their edges fall on the threshold so that each bar lies wholly on one side of it. A small test
// set also gets one tick per image under the bars (a rug).
import type { TopLevelSpec } from 'vega-lite';
import type { ProbabilityData } from '../types.js';
import { fmt, isFiniteNumber } from '../format.js';
import { COLORS, CONFIG } from './theme.js';

export interface HistogramBins {
  /** Left edge of the first bin; bins are [start + k*step, start + (k+1)*step), the last one closed. */
  start: number;
  step: number;
  count: number;
  /** The x range drawn: the bins, cut to [0, 1]. */
  domain: [number, number];
  /** True when the range was fitted to the data (the axis title says so). */
  zoomed: boolean;
}

const NICE_STEPS = [0.001, 0.002, 0.0025, 0.005, 0.01, 0.02, 0.025, 0.05];
const TARGET_BINS = 20;
const WIDTH = 420;
const HEIGHT = 120;
/** Up to this many images, each is also drawn as a tick (a rug) under its panel, so single images can be seen. */
export const RUG_MAX = 60;
/** The gap between the plot and its x axis that holds the rug, in pixels. */
const RUG_GAP = 12;

/**
 * Chooses the bins. An explicit `binStep` gives bins from 0 to 1 (numpy.histogram's layout); otherwise the
 * step is a round number giving about 20 bins over the observed range (at most 0.05), aligned on the threshold.
 */
export function histogramBins(values: number[], threshold: number | null, binStep?: number): HistogramBins {
  if (binStep !== undefined) {
    const count = Math.max(1, Math.round(1 / binStep));
    return { start: 0, step: binStep, count, domain: [0, 1], zoomed: false };
  }
  const pts = threshold !== null ? [...values, threshold] : values;
  const lo = pts.length ? Math.min(...pts) : 0;
  const hi = pts.length ? Math.max(...pts) : 1;
  const step = NICE_STEPS.find((s) => (hi - lo) / s <= TARGET_BINS) ?? 0.05;
  // Edges fall on the threshold when there is one, else on multiples of the step.
  const anchor = threshold ?? 0;
  const start = anchor - Math.ceil((anchor - lo) / step - 1e-9) * step;
  let count = Math.max(1, Math.ceil((hi - start) / step - 1e-9));
  if (start + count * step <= hi + 1e-12 && values.some((v) => v >= start + count * step)) count += 1;
  const zoomed = hi - lo < 0.5;
  const domain: [number, number] = zoomed ? [start, start + count * step] : [0, 1];
  return { start, step, count, domain: [Math.max(0, domain[0]), Math.min(1, domain[1])], zoomed };
}

/** Counts per bin; a value on the last edge goes into the last bin. */
export function binCounts(values: number[], bins: HistogramBins): number[] {
  const counts = new Array(bins.count).fill(0);
  for (const v of values) {
    const k = Math.floor((v - bins.start) / bins.step + 1e-9);
    counts[Math.min(bins.count - 1, Math.max(0, k))] += 1;
  }
  return counts;
}

export function histogramSpec(d: ProbabilityData): TopLevelSpec {
  if (d.probabilities.length !== d.labels.length) {
    throw new Error(`probability histogram: ${d.probabilities.length} probabilities but ${d.labels.length} labels`);
  }
  if (d.binStep !== undefined && !(d.binStep > 0 && d.binStep <= 0.5)) throw new Error(`probability histogram: binStep must be in (0, 0.5], got ${d.binStep}`);
  const threshold = isFiniteNumber(d.threshold) ? d.threshold : null;
  const perClass = [0, 1].map((cls) => {
    const values: number[] = [];
    for (let i = 0; i < d.labels.length; i++) {
      const p = d.probabilities[i];
      if (d.labels[i] === cls && isFiniteNumber(p)) values.push(Math.min(1, Math.max(0, p)));
    }
    return values;
  });
  const bins = histogramBins([...perClass[0], ...perClass[1]], threshold, d.binStep);
  const counts = perClass.map((v) => binCounts(v, bins));
  // One y scale for both panels, in whole images, never empty (an empty class would give NaN ticks).
  const yMax = Math.max(1, ...counts.flat());
  const yStep = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((st) => yMax / st <= 4) ?? Math.ceil(yMax / 4);
  // Headroom above the tallest bar: its count label stays below the threshold's label at the top of the plot.
  const yTop = Math.ceil(yMax / yStep) * yStep + (yMax > 0.8 * Math.ceil(yMax / yStep) * yStep ? yStep : 0);
  const yTicks = Array.from({ length: yTop / yStep + 1 }, (_, i) => i * yStep);
  const digits = bins.step >= 0.05 ? 2 : bins.step >= 0.005 ? 3 : 4;
  const xTitle = bins.zoomed
    ? ['Predicted probability of the positive class', `(zoomed to the observed ${fmt(bins.domain[0], digits)}–${fmt(bins.domain[1], digits)}, bins of ${fmt(bins.step, digits)})`]
    : 'Predicted probability of the positive class';
  const x = { field: 'lo', type: 'quantitative' as const, title: xTitle, scale: { domain: bins.domain, nice: false, zero: false }, axis: { format: `.${digits}~f` } };
  const y = { field: 'count', type: 'quantitative' as const, title: 'Images (count)', scale: { domain: [0, yTop], nice: false }, axis: { values: yTicks, format: 'd', labelOverlap: false } };
  // The threshold's label goes on the side of its rule that has room inside the plot.
  const tFrac = threshold === null ? 0 : (threshold - bins.domain[0]) / Math.max(1e-12, bins.domain[1] - bins.domain[0]);
  const thresholdLabelSide = tFrac > 0.7 ? { align: 'right' as const, dx: -4 } : { align: 'left' as const, dx: 4 };
  // A small test set: a bar of 3 hides where its 3 images are (0.501 or 0.549 against a 0.5 threshold).
  const rug = perClass[0].length + perClass[1].length <= RUG_MAX;
  const xRug = rug ? { ...x, axis: { ...x.axis, offset: RUG_GAP } } : x;
  const panels = [0, 1].map((cls) => {
    const bars = counts[cls]
      .map((count, k) => ({ lo: Math.max(bins.domain[0], bins.start + k * bins.step), hi: Math.min(bins.domain[1], bins.start + (k + 1) * bins.step), count }))
      .filter((b) => b.count > 0);
    const layers: any[] = [
      {
        data: { values: bars },
        mark: { type: 'rect', color: cls === 1 ? COLORS.positive : COLORS.negative, opacity: 0.85, stroke: 'white', strokeWidth: 0.5 },
        encoding: { x: xRug, x2: { field: 'hi' }, y, y2: { datum: 0 } },
      },
      {
        data: { values: bars },
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 10, color: '#333' },
        transform: [{ calculate: '(datum.lo + datum.hi) / 2', as: 'mid' }],
        encoding: { x: { field: 'mid', type: 'quantitative' }, y: { field: 'count', type: 'quantitative' }, text: { field: 'count', type: 'quantitative' } },
      },
    ];
    if (rug && perClass[cls].length > 0) {
      // One tick per image in the gap between the plot and its axis; half-transparent, so equal values darken.
      layers.push({
        name: `rug_${cls}`,
        data: { values: perClass[cls].map((p) => ({ p })) },
        mark: { type: 'rule', y: HEIGHT + 2, y2: HEIGHT + RUG_GAP - 2, strokeWidth: 1.2, opacity: 0.7, color: cls === 1 ? COLORS.positive : COLORS.negative },
        encoding: { x: { field: 'p', type: 'quantitative' } },
      });
    }
    if (perClass[cls].length === 0) {
      layers.push({
        data: { values: [{}] },
        mark: { type: 'text', x: WIDTH / 2, y: HEIGHT / 2, align: 'center', baseline: 'middle', fontSize: 12, color: '#666' },
        encoding: { text: { value: `no images of class ${d.classes[cls]} in this data` } },
      });
    }
    // An empty panel has nothing on either side of the threshold; its rule would only cross the message.
    if (threshold !== null && perClass[cls].length > 0) {
      const t = { values: [{ lo: threshold, label: `threshold ${fmt(threshold, digits)}` }] };
      layers.push(
        { data: t, mark: { type: 'rule', color: '#222', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'lo', type: 'quantitative' } } },
        { data: t, mark: { type: 'text', ...thresholdLabelSide, baseline: 'top', y: 2, fontSize: 10, color: '#222' }, encoding: { x: { field: 'lo', type: 'quantitative' }, text: { field: 'label' } } },
      );
    }
    return { title: { text: `True class: ${d.classes[cls]} (n = ${perClass[cls].length})`, fontSize: 13 }, width: WIDTH, height: HEIGHT, layer: layers };
  });
  return {
    config: CONFIG,
    title: 'Predicted probabilities by true class',
    vconcat: panels,
    spacing: 16,
  } as TopLevelSpec;
}
