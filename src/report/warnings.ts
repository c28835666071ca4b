// scikit-learn's warnings (metrics.json keeps them verbatim, for parity with sklearn) in words a reader of the
// report understands: they name sklearn's parameters (`zero_division`) and variables (`y_true`), which tlearn
// does not have. Several say the same fact (a class absent); the report says it once.

const RULES: [RegExp, string][] = [
  [/^(Precision|Precision and F-score) (is|are) ill-defined .* no predicted samples/,
    'A class was never predicted, so its precision (and F1) is undefined; it is shown as 0, as scikit-learn does.'],
  [/^(Recall|Recall and F-score) (is|are) ill-defined .* no true samples/,
    'A class has no images here, so its recall is undefined; it is shown as 0, as scikit-learn does.'],
  [/^F-score is ill-defined .* no true nor predicted samples/,
    'A class neither occurs nor is predicted here, so its F1 is undefined; it is shown as 0, as scikit-learn does.'],
  [/^(No (negative|positive) samples in y_true|Only one class present in y_true|No positive class found in y_true)/,
    'One class is absent from these images, so ROC AUC, its confidence interval and the curves are not defined.'],
];

/** The warnings as the report shows them: reworded where known, each text once, in order. */
export function readerWarnings(warnings: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of warnings) {
    const text = RULES.find(([re]) => re.test(w))?.[1] ?? w;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}
