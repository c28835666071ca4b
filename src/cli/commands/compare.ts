// `tlearn compare A B`: two evaluations of the same images (evaluation folders, or run folders with eval/) compared
// with McNemar's exact test of the accuracies and a paired test of the AUCs: DeLong's for binary models, a paired
// bootstrap of the macro AUCs for the others (src/eval/compare.ts).
// Needs no engine: it reads metrics.json and predictions.csv.
import path from 'node:path';
import type { CliIO } from '../io.js';
import { compareEvaluations, type EvaluationComparison } from '../../eval/compare.js';

export interface CompareOptions {
  a: string;
  b: string;
  json: boolean;
}

const f4 = (x: number): string => x.toFixed(4);
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
const pText = (p: number | null): string => (p === null ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/** The comparison in words: the two AUCs and accuracies, their differences with the tests, and what they mean. */
export function formatComparison(c: EvaluationComparison): string {
  const { auc, accuracy: acc } = c;
  const verdict = (p: number | null | undefined, what: string) => (p === null || p === undefined ? null : p < 0.05
    ? `the ${what}s differ at the 5 % level on these images`
    : `the ${what} difference is within what these ${c.n} images leave open (p >= 0.05)`);
  let aucLine: string;
  if (auc) {
    const r = auc.resamples;
    const test = r
      ? (auc.z === null ? 'bootstrap: the differences never vary' : `bootstrap z ${auc.z.toFixed(2)}, p ${pText(auc.p)} (${r.used} of ${r.n} resamples)`)
      : (auc.z === null ? 'DeLong: the two models order every positive-negative pair alike (no variance)' : `DeLong z ${auc.z.toFixed(2)}, p ${pText(auc.p)}`);
    aucLine = `${r ? 'macro AUC' : 'AUC      '} A ${f4(auc.a)}  B ${f4(auc.b)}  B - A ${signed(auc.difference)} (95% CI ${signed(auc.ci95[0])} to ${signed(auc.ci95[1])})  ${test}`;
  } else {
    const r = c.auc_reported;
    const v = (x: number | null | undefined) => (typeof x === 'number' ? f4(x) : 'n/a');
    aucLine = `macro AUC A ${v(r?.a)}  B ${v(r?.b)} (from metrics.json; no paired test: ${c.auc_untested ?? 'none'})`;
  }
  const at = (t: number | null) => (t === null ? '' : ` (threshold ${t})`);
  const accName = c.task === 'multilabel' ? 'subset accuracy' : 'accuracy';
  return [
    `A: ${c.a}`,
    `B: ${c.b}`,
    `${c.n} images, ${c.task === 'binary' ? `positive class ${JSON.stringify(c.positive_class)}` : `${c.task}, ${c.classes.length} ${c.task === 'multilabel' ? 'labels' : 'classes'}`}`,
    aucLine,
    `${accName.padEnd(9)} A ${f4(acc.a)}${at(acc.threshold_a)}  B ${f4(acc.b)}${at(acc.threshold_b)}  B - A ${signed(acc.difference)}  ` +
      `McNemar exact p ${pText(acc.p)} (only A right: ${acc.only_a_right}, only B right: ${acc.only_b_right})`,
    ...[verdict(auc?.p, 'AUC'), verdict(acc.p, accName)].filter((v): v is string => v !== null),
  ].join('\n') + '\n';
}

export async function runCompare(opts: CompareOptions, io: CliIO): Promise<void> {
  const c = compareEvaluations(path.resolve(io.cwd, opts.a), path.resolve(io.cwd, opts.b));
  io.out(opts.json ? JSON.stringify(c, null, 2) + '\n' : formatComparison(c));
}
