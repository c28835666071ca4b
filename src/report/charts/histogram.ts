// Histogram of predicted positive-class probabilities, one panel per true class, threshold marked.
// A well-separated model piles the negative class near 0 and the positive class near 1.
import type { TopLevelSpec } from 'vega-lite';
import type { ProbabilityData } from '../types.js';
import { fmt, isFiniteNumber } from '../format.js';
import { COLORS, CONFIG } from './theme.js';

export function histogramSpec(d: ProbabilityData): TopLevelSpec {
  if (d.probabilities.length !== d.labels.length) {
    throw new Error(`probability histogram: ${d.probabilities.length} probabilities but ${d.labels.length} labels`);
  }
  const step = d.binStep ?? 0.05;
  if (!(step > 0 && step <= 0.5)) throw new Error(`probability histogram: binStep must be in (0, 0.5], got ${step}`);
  const threshold = isFiniteNumber(d.threshold) ? d.threshold : null;
  const panels = [0, 1].map((cls) => {
    const values: { p: number }[] = [];
    for (let i = 0; i < d.labels.length; i++) {
      const p = d.probabilities[i];
      if (d.labels[i] === cls && isFiniteNumber(p)) values.push({ p: Math.min(1, Math.max(0, p)) });
    }
    const layers: any[] = [
      {
        data: { values },
        mark: { type: 'bar', color: cls === 1 ? COLORS.positive : COLORS.negative, opacity: 0.85, binSpacing: 1 },
        encoding: {
          x: { field: 'p', type: 'quantitative', bin: { extent: [0, 1], step }, title: 'Predicted probability of the positive class', scale: { domain: [0, 1] } },
          y: { aggregate: 'count', type: 'quantitative', title: 'Images', axis: { tickMinStep: 1 } },
        },
      },
    ];
    if (threshold !== null) {
      const t = { values: [{ t: threshold, label: `threshold ${fmt(threshold, 2)}` }] };
      layers.push(
        { data: t, mark: { type: 'rule', color: '#222', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: { field: 't', type: 'quantitative' } } },
        { data: t, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, y: 2, fontSize: 10, color: '#222' }, encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } } },
      );
    }
    return { title: { text: `True class: ${d.classes[cls]} (n = ${values.length})`, fontSize: 13 }, width: 420, height: 120, layer: layers };
  });
  return {
    config: CONFIG,
    title: 'Predicted probabilities by true class',
    vconcat: panels,
    resolve: { scale: { y: 'independent' } },
    spacing: 16,
  } as TopLevelSpec;
}
