// Progress text shared by the layers that report long work: the data check (the trainer's bar and lines),
// predicting a folder and evaluating a split (lines every 10 s, through a caller's log function).

/** Seconds as mm:ss, or h:mm:ss from an hour; '--:--' when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, '0'), ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One progress line: "checking the data: 400 of 2000 files (20 %), 39.2 files/s, ETA 00:41". */
export function countLine(what: string, done: number, total: number, unit: string, seconds: number): string {
  const rate = done / seconds;
  return `${what}: ${done} of ${total} ${unit} (${Math.round((100 * done) / total)} %), ${rate.toFixed(1)} ${unit}/s, ETA ${formatDuration((total - done) / rate)}`;
}

/** When a line every 10 s is due: at 10 s, then at the next multiple of 10 s after the last line; never at the end. */
export class TenSeconds {
  #next = 10;
  due(seconds: number, done: number, total: number): boolean {
    if (seconds < this.#next || done >= total) return false;
    this.#next = (Math.floor(seconds / 10) + 1) * 10;
    return true;
  }
}

/**
 * Progress of work that has no bar (predicting a folder, evaluating a split): returns an onProgress(done, total)
 * that writes a line to `log` every 10 s, so that minutes of work are not silent; short work says nothing.
 */
export function periodicProgress(log: (line: string) => void, what: string, unit: string,
  now: () => number = () => performance.now() / 1000): (done: number, total: number) => void {
  const start = now(), ticks = new TenSeconds();
  return (done, total) => {
    const seconds = now() - start;
    if (ticks.due(seconds, done, total)) log(countLine(what, done, total, unit, seconds));
  };
}
