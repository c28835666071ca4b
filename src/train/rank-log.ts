// The progress of a rank other than 0 in a data-parallel run: RUN/logs/rank-N.log. Lines are held in memory
// until rank 0 has made the run folder (open() comes after the ranks have met), then appended to the file.
import fs from 'node:fs';
import path from 'node:path';

export class RankLog {
  #pending: string[] = [];
  #fd: number | null = null;

  /** One line of progress (for train's Progress, as its line sink). */
  readonly line = (text: string): void => {
    if (this.#fd === null) this.#pending.push(text);
    else fs.writeSync(this.#fd, `${text}\n`);
  };

  /** Starts writing to `file` (appending: a resumed run continues its ranks' logs), first what was held. */
  open(file: string): void {
    if (this.#fd !== null) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.#fd = fs.openSync(file, 'a');
    for (const l of this.#pending.splice(0)) fs.writeSync(this.#fd, `${l}\n`);
  }

  close(): void {
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
  }
}
