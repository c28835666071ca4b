// The epoch history: RUN/history.csv and RUN/history.jsonl, rewritten whole (atomically) after every epoch.
// The history is tiny, so a rewrite costs nothing and a resumed run can simply write the rows it restored:
// rows of an epoch that was cut short by a kill never survive.
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { HISTORY_COLUMNS, type EpochRecord } from './types.js';

/** A number as Python's float parser and pandas read it back exactly (shortest round-trip form). */
function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

export function historyCsv(rows: readonly EpochRecord[]): string {
  const lines = [HISTORY_COLUMNS.join(',')];
  for (const r of rows) lines.push(HISTORY_COLUMNS.map((c) => (c === 'phase' ? r.phase : formatNumber(r[c]))).join(','));
  return lines.join('\n') + '\n';
}

/** JSON has no NaN or infinities: they are written as null. */
export function historyJsonl(rows: readonly EpochRecord[]): string {
  return rows.map((r) => JSON.stringify(Object.fromEntries(HISTORY_COLUMNS.map((c) => {
    const v = r[c];
    return [c, typeof v === 'number' && !Number.isFinite(v) ? null : v];
  })))).join('\n') + (rows.length ? '\n' : '');
}

export function writeHistory(runDir: string, rows: readonly EpochRecord[]): void {
  writeFileAtomic(path.join(runDir, 'history.csv'), [Buffer.from(historyCsv(rows))]);
  writeFileAtomic(path.join(runDir, 'history.jsonl'), [Buffer.from(historyJsonl(rows))]);
}

/** Parses history.jsonl (null back to NaN), checking every row has every column. */
export function parseHistoryJsonl(text: string, file = 'history.jsonl'): EpochRecord[] {
  const rows: EpochRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try { o = JSON.parse(line) as Record<string, unknown>; } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
    }
    const row = {} as Record<string, unknown>;
    for (const c of HISTORY_COLUMNS) {
      const v = o[c];
      if (c === 'phase' ? typeof v !== 'string' : !(typeof v === 'number' || v === null)) {
        throw new Error(`${file}:${i + 1}: column '${c}' is missing or has the wrong type`);
      }
      row[c] = v === null ? NaN : v;
    }
    rows.push(row as unknown as EpochRecord);
  });
  return rows;
}
