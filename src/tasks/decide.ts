// How each task turns one image's probabilities into its prediction (binary p >= threshold, multiclass argmax,
// multilabel a threshold per label), apart from the Task classes (which hold the loss in libtorch), so that
// prediction without libtorch (src/deploy) decides exactly as the Tasks do: their predict() calls this.
import type { TaskKind } from '../models/bounds.js';
import { predictionSet } from '../metrics/conformal.js';
import { byClass, type Decision, type Prediction } from './task.js';

/** The index of each row's largest value (the first on ties, as torch.argmax). */
export function argmaxRows(probs: ArrayLike<number>, k: number): Int32Array {
  const n = probs.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j]! > probs[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * One image's prediction from its row of probabilities (binary: the positive class's alone). topK > 0 adds
 * the k best classes of a multi-class model. A multi-label model without thresholds uses 0.5 per label.
 */
export function predictRow(kind: TaskKind, classes: readonly string[], probs: ArrayLike<number>, d: Decision, topK = 0): Prediction {
  switch (kind) {
    case 'binary': {
      const p = probs[0]!;
      const predicted = p >= d.threshold ? 1 : 0;
      return { probability: p, predicted, label: classes[predicted]!, ...conformalSet(classes, probs, d, true) };
    }
    case 'multiclass': {
      const predicted = argmaxRows(probs, classes.length)[0]!;
      const out: Prediction = { label: classes[predicted]!, probability: probs[predicted]!, predicted, probabilities: byClass(classes, probs) };
      if (topK > 0) {
        // Stable: equal probabilities keep the class order, as torch.topk's first-index order on ties.
        const order = classes.map((_, j) => j).sort((a, b) => probs[b]! - probs[a]! || a - b);
        out.top_k = order.slice(0, topK).map((j) => ({ label: classes[j]!, probability: probs[j]! }));
      }
      return { ...out, ...conformalSet(classes, probs, d, false) };
    }
    case 'multilabel': {
      const t = d.thresholds;
      return { labels: classes.filter((_, j) => probs[j]! >= (t ? t[j]! : 0.5)), probabilities: byClass(classes, probs) };
    }
  }
}

/** The conformal prediction set's class names when the decision has one (metrics/conformal.ts), else nothing. */
function conformalSet(classes: readonly string[], probs: ArrayLike<number>, d: Decision, binary: boolean): { set?: string[] } {
  return d.conformal ? { set: predictionSet(probs, d.conformal.qhat, binary).map((k) => classes[k]!) } : {};
}
