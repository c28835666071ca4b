// What the user sees during training. Three forms: on a terminal a progress bar per epoch (loss, images/s,
// ETA) redrawn in place plus a one-line summary per epoch; without a terminal the same summaries as plain
// lines; with `json` one JSON object per event (start, phase, epoch, checkpoint, done, ...) per line.
import type { TrainEvent } from './types.js';
import { countLine, formatDuration, TenSeconds } from '../data/index.js';
import { fmtSignificant } from '../format/numbers.js';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

/** JSON has no NaN or infinities: write them as null. */
export function eventJson(e: TrainEvent): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const fmtLr = (v: number): string => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'));

/**
 * The width the progress bar line may use: the terminal's, between 40 and 120. A terminal that reports no
 * width (0 columns, as a pty under `script` or some CI runners does) gets 80, the classic default.
 */
export function barColumns(columns: number | undefined): number {
  return columns !== undefined && columns > 0 ? Math.max(40, Math.min(columns, 120)) : 80;
}

/**
 * The line of a stopped run. A resume continues an epoch cut short with its next batch (the batches done are
 * kept, with their sums), so the line says which batch comes next; the CLI adds the command that continues.
 */
export function interruptedLine(e: Extract<TrainEvent, { type: 'interrupted' }>): string {
  const where = e.batch > 0 ? `${e.phase} epoch ${e.epoch} after batch ${e.batch} of ${e.batches}` : `${e.phase} before epoch ${e.epoch}`;
  const next = e.batch > 0 ? `continues with batch ${e.batch + 1}` : `starts with epoch ${e.epoch}`;
  return `Interrupted in ${where}: the state is saved in ${e.state}, and a resume ${next}.`;
}

/** Where a resumed run stands, as resumeLine needs it (the configured phases and RUN/last's position). */
export interface ResumePoint {
  /** The configured phases, in order. */
  phases: readonly { name: string; epochs: number }[];
  /** The phase in progress (or the next one, at a phase boundary). */
  phaseIndex: number;
  /** Progress within that phase; null at a phase boundary. */
  phase: { epochsDone: number; stopped: boolean } | null;
  /** An epoch cut short: the batches of it already done. */
  midEpoch: { batchesDone: number } | null;
  /** Names of the finished phases. */
  finished: readonly string[];
  /** Batches per training epoch. */
  batches: number;
}

/**
 * One line saying where a resumed run continues, e.g. "Resuming at phase2 epoch 9 (phase1 done; 8 of 15
 * phase2 epochs done)"; null when every phase has finished (the trainer says that it finishes the rest).
 */
export function resumeLine(p: ResumePoint): string | null {
  const current = p.phases[p.phaseIndex];
  if (!current) return null;
  const k = p.phase?.epochsDone ?? 0;
  const done = p.finished.length > 0 ? `${p.finished.join(', ')} done; ` : '';
  const counts = `${done}${k} of ${current.epochs} ${current.name} epoch${current.epochs === 1 ? '' : 's'} done`;
  if (p.phase?.stopped) return `Resuming at the end of ${current.name}: early stopping had ended it (${counts})`;
  if (k >= current.epochs) return `Resuming at the end of ${current.name} (${counts})`;
  if (p.midEpoch) return `Resuming in ${current.name} epoch ${k + 1} at batch ${p.midEpoch.batchesDone + 1} of ${p.batches} (${counts})`;
  return `Resuming at ${current.name} epoch ${k + 1} (${counts})`;
}

/** Where progress goes: a stream (a terminal gets the bar), or a function taking one line at a time. */
export type ProgressSink = NodeJS.WritableStream | ((line: string) => void);

export class Progress {
  readonly mode: ProgressMode;
  readonly #out: { write(text: string): void; columns?: number };
  #barShown = false;
  #lastBar = 0;
  /** The data check's last shown time (its own clock, `seconds`) and when its next plain line is due. */
  #lastCheck = -Infinity;
  #checkLines = new TenSeconds();
  #epochsOf = new Map<string, number>();

  constructor(sink: ProgressSink, opts: { json?: boolean; quiet?: boolean } = {}) {
    const isTty = typeof sink !== 'function' && (sink as { isTTY?: boolean }).isTTY === true;
    this.mode = opts.json ? 'json' : opts.quiet ? 'quiet' : isTty ? 'tty' : 'plain';
    if (typeof sink === 'function') {
      // A line-oriented sink (e.g. the CLI's log): one call per line, without the newline.
      this.#out = { write: (text: string) => { for (const l of text.replace(/\n$/, '').split('\n')) sink(l); } };
    } else {
      this.#out = sink as unknown as { write(text: string): void; columns?: number };
    }
  }

  handle(e: TrainEvent): void {
    if (this.mode === 'quiet') return;
    if (e.type === 'check') {
      this.#check(e);
      return;
    }
    if (this.mode === 'json') {
      if (e.type !== 'batch') this.#out.write(eventJson(e) + '\n');
      return;
    }
    if (e.type === 'batch') {
      if (this.mode === 'tty') this.#bar(e);
      return;
    }
    const line = this.#line(e);
    if (line !== null) this.#print(line);
  }

  /** A free-form note: a line in the human modes, an 'info' event in JSON mode. */
  message(text: string): void {
    this.handle({ type: 'info', message: text });
  }

  #print(line: string): void {
    if (this.#barShown) {
      this.#out.write('\r\x1b[2K');
      this.#barShown = false;
    }
    this.#out.write(line + '\n');
  }

  #bar(e: Extract<TrainEvent, { type: 'batch' }>): void {
    // At most ~10 redraws a second: cached epochs run thousands of batches a second.
    const now = performance.now();
    if (e.batch < e.batches && now - this.#lastBar < 100) return;
    this.#lastBar = now;
    const rate = e.seconds > 0 ? e.images / e.seconds : 0;
    const eta = e.batch > 0 ? (e.seconds / e.batch) * (e.batches - e.batch) : NaN;
    const total = this.#epochsOf.get(e.phase);
    const head = `${e.phase} ${e.epoch}${total ? `/${total}` : ''}`;
    const tail = ` ${e.batch}/${e.batches} loss ${fmt(e.loss)} ${rate.toFixed(1)} img/s ETA ${formatDuration(eta)}`;
    this.#drawBar(head, e.batch / Math.max(1, e.batches), tail);
  }

  /** Redraws the one bar line in place: `head [####....]tail`, one column short of the terminal's width. */
  #drawBar(head: string, fraction: number, tail: string): void {
    const width = Math.max(10, barColumns(this.#out.columns) - head.length - tail.length - 4);
    const done = Math.round(fraction * width);
    this.#out.write(`\r\x1b[2K${head} [${'#'.repeat(done)}${'.'.repeat(width - done)}]${tail}`);
    this.#barShown = true;
  }

  /**
   * The data check's progress, once it has taken a second (short checks say nothing): a bar on a terminal
   * (up to 10 redraws a second), a line every 10 s in plain text, a JSON line at most once a second.
   */
  #check(e: Extract<TrainEvent, { type: 'check' }>): void {
    if (e.seconds < 1) return;
    if (this.mode === 'json') {
      if (e.seconds - this.#lastCheck < 1) return;
      this.#out.write(eventJson(e) + '\n');
    } else if (this.mode === 'tty') {
      if (e.seconds - this.#lastCheck < 0.1 && e.done < e.total) return;
      const rate = e.done / e.seconds;
      const tail = ` ${e.done}/${e.total} files ${rate.toFixed(1)} files/s ETA ${formatDuration((e.total - e.done) / rate)}`;
      this.#drawBar('checking data', e.done / Math.max(1, e.total), tail);
    } else {
      if (!this.#checkLines.due(e.seconds, e.done, e.total)) return;
      this.#print(countLine('checking the data', e.done, e.total, 'files', e.seconds));
    }
    this.#lastCheck = e.seconds;
  }

  #line(e: TrainEvent): string | null {
    switch (e.type) {
      case 'start': {
        const n = e.images;
        // The seed's plateau goes unsaid; a schedule that shapes the rate is named (one-cycle: lr is its peak).
        const shape = (s: string) => (s === 'one-cycle' ? ', one-cycle' : s === 'cosine' ? ', cosine' : '');
        const decay = (d?: number) => (d === undefined ? '' : `, x${d} per earlier module`);
        const phases = e.phases.map((p) => `${p.name} (${p.trainable.join('+')}, ${p.epochs} epochs, lr ${p.lr}${decay(p.layer_lr_decay)}${shape(p.schedule)})`).join(', then ');
        for (const p of e.phases) this.#epochsOf.set(p.name, p.epochs);
        return `${e.resumed ? 'Resuming' : 'Training'} ${e.arch} on ${e.device} (${e.threads} thread${e.threads === 1 ? '' : 's'}, ${e.precision}${e.channels_last ? ', channels-last' : ''}) -> ${e.run}\n` +
          `  images: ${n.train} train, ${n.val} val, ${n.test} test; ${e.positive_class === null ? `${e.task}, ${e.classes.length} classes: ${e.classes.join(', ')}` : `classes ${e.classes[0]} / ${e.classes[1]} (positive: ${e.positive_class})`}\n` +
          `  phases: ${phases}` +
          (e.accumulate_grad_batches && !e.world ? `\n  gradients of ${e.accumulate_grad_batches} batches summed per optimizer step` : '') +
          (e.ema_decay !== undefined ? `\n  validation and checkpoints use a moving average of the weights (decay ${e.ema_decay} per step)` : '') +
          (e.world ? `\n  world: ${e.world.size} ranks x ${e.world.batch_per_rank} images${e.accumulate_grad_batches ? ` x ${e.accumulate_grad_batches} batches summed` : ''} = a global batch of ${e.world.global_batch}` +
            `${e.world.sync_batchnorm ? ', synchronized BatchNorm' : ''} (this is rank ${e.world.rank})` : '');
      }
      case 'phase':
        if (e.event === 'start') {
          return `Phase ${e.phase}: training ${e.trainable.join(', ')} (${e.trainable_parameters.toLocaleString('en-US')} parameters)` +
            (e.cache ? `; frozen part cached (${e.cache}${e.cache_entries > 0 ? `, ${e.cache_entries} views already computed` : ''})` : '');
        }
        return `Phase ${e.phase} done after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}${e.stopped_early ? ' (early stop)' : ''}: ` +
          (e.best_epoch === null ? `no epoch had a valid ${e.monitor}` : `best ${e.monitor} ${fmt(e.best!)} at epoch ${e.best_epoch} (weights restored)`);
      case 'epoch':
        return `${e.phase} epoch ${e.epoch}: loss ${fmt(e.train_loss)} acc ${fmt(e.train_accuracy)} | val_loss ${fmt(e.val_loss)} ` +
          `val_acc ${fmt(e.val_accuracy)} val_auc ${fmt(e.val_auc)} | lr ${fmtLr(e.lr)} | ${e.seconds.toFixed(1)}s ${e.images_per_second.toFixed(1)} img/s`;
      case 'checkpoint':
        // The final model is chosen among the phases' best checkpoints (maybe an earlier phase's): not a new best.
        return e.phase === 'final' ? `  final model (the best ${e.monitor} of all phases, ${fmt(e.value)}) -> ${e.file}`
          : `  new best ${e.monitor} ${fmt(e.value)} -> ${e.file}`;
      case 'lr':
        return `  learning rate reduced to ${fmtLr(e.lr)}`;
      case 'warning':
        return `warning: ${e.message}`;
      case 'info':
        return e.message;
      case 'interrupted':
        return interruptedLine(e);
      case 'done':
        // The monitor that chose the final model is named when it is not val_auc (shown anyway).
        return `Done in ${formatDuration(e.seconds)}: ${e.best_model}` +
          (e.phase ? ` (from ${e.phase} epoch ${e.epoch}, ` +
            (e.monitor && e.monitor !== 'val_auc' ? `chosen by ${e.monitor} ${fmt(e.monitor_value ?? NaN)}; ` : '') +
            `val_auc ${fmt(e.val_auc ?? NaN)}, threshold ${fmtSignificant(e.threshold)})` : '');
      default:
        return null;
    }
  }
}
