// The cross-validation folder (see ARCHITECTURE.md, "Cross-validation folder").
import path from 'node:path';

export interface CvPaths {
  root: string;
  /** The resolved configuration every fold trains with (but its data), what --resume reads back. */
  config: string;
  /** path,label,fold of every image of the training pool. */
  foldsCsv: string;
  /** The fold folds' data CSVs (path,label,split), one per fold. */
  dataCsv(fold: number): string;
  /** One normal run folder per fold (1-based). */
  fold(fold: number): string;
  /** The fold's out-of-fold probabilities, written when its final model is chosen. */
  foldOof(fold: number): string;
  /** The fold's record (its metrics), written last: the fold is finished when it exists. */
  foldRecord(fold: number): string;
  oof: string;
  summary: string;
  labelIssues: string;
  report: string;
  /** Spill folder of the frozen-prefix caches that every fold shares (removed at the end). */
  featureCache: string;
  /** Spill folder of the decoded images that every fold shares (removed at the end). */
  imageCache: string;
}

export function cvPaths(root: string): CvPaths {
  const r = path.resolve(root);
  const j = (...p: string[]) => path.join(r, ...p);
  return {
    root: r, config: j('cv-config.json'), foldsCsv: j('folds.csv'),
    dataCsv: (k) => j('folds', `fold-${k}.csv`), fold: (k) => j(`fold-${k}`), foldOof: (k) => j(`fold-${k}`, 'oof.csv'),
    foldRecord: (k) => j(`fold-${k}`, 'fold.json'), oof: j('oof.csv'), summary: j('cv.json'), labelIssues: j('label_issues.csv'),
    report: j('report.html'), featureCache: j('.feature-cache'), imageCache: j('.image-cache'),
  };
}
