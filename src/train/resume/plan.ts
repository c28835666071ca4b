// What a resume may do with the epoch limits (phases[].epochs, the one setting besides runtime keys that may
// change on resume). A phase not started yet takes any value. The phase in progress cannot go below the
// epochs it has trained. A finished phase keeps its value, except that a phase which ran to its limit may
// get a higher one: it is then continued from its last epoch (like Keras' initial_epoch), provided no later
// phase has trained since; the result equals a run that had the higher limit from the start. A phase that
// early stopping ended is never continued: more epochs would not be what that run would have trained.
// Everything refused here is refused before RUN/config.json is rewritten.
import { phaseSchedule, type RunConfig } from '../config/index.js';
import type { RunState } from './state.js';

export class ResumePlanError extends Error {}

// Messages name the configuration key; the CLI adds the flag that sets it (--epochs1).
const keyOf = (i: number): string => `phases[${i}].epochs`;

/**
 * Checks the requested epoch limits against the saved state and the saved configuration. Returns the index
 * of the finished phase to continue (reopen), or null; throws a ResumePlanError naming the phase otherwise.
 */
export function planResume(config: RunConfig, saved: RunConfig, state: RunState): { reopen: number | null; message: string | null } {
  const n = config.phases.length;
  for (let i = 0; i < n; i++) {
    const pc = config.phases[i]!;
    const want = pc.epochs;
    const before = saved.phases[i]?.epochs ?? want;
    const started = i < state.phaseIndex ? state.phases[i]!.epochs > 0 : i === state.phaseIndex && state.phase !== null;
    const span = { 'one-cycle': 'a one-cycle schedule', cosine: 'cosine annealing', plateau: null, constant: null }[phaseSchedule(pc)];
    // SWA that begins after a share of the epochs would begin elsewhere with another limit.
    const drawn = span ? `follows ${span} over its ${before} epochs` : pc.swa && pc.swa.start < 1 ? `averages its weights (swa) from ${pc.swa.start} of its ${before} epochs on` : null;
    if (drawn && started && want !== before) {
      // The schedule's shape is drawn over the phase's planned epochs: another limit would not continue it.
      throw new ResumePlanError(`${pc.name} ${drawn}, which has begun; ` +
        `${keyOf(i)} cannot change on resume. Resume with ${keyOf(i)} = ${before}, or start a new run`);
    }
    if (i < state.phaseIndex) {
      const s = state.phases[i]!;
      if (want === before) continue;
      if (s.stoppedEarly) {
        throw new ResumePlanError(
          `${pc.name} was ended by early stopping after ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} (its limit was ${before}); ` +
          `more epochs would not continue it. Resume with ${keyOf(i)} = ${before}, or start a new run`);
      }
      if (want < s.epochs) {
        throw new ResumePlanError(`${pc.name} already trained ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}; ${keyOf(i)} cannot go down to ${want} on resume`);
      }
      if (want === s.epochs) continue;
      const later = state.phases.slice(i + 1).find((p) => p.epochs > 0);
      const current = state.phase !== null ? config.phases[state.phaseIndex] : undefined;
      if (later || current) {
        const name = later?.name ?? current!.name;
        throw new ResumePlanError(`${pc.name} cannot be extended: ${name} has trained since (${later ? `${later.epochs} epochs` : 'in progress'}); ` +
          `resume with ${keyOf(i)} = ${before}, or start a new run with more epochs`);
      }
      if (s.epochs > 0 && state.ended?.index !== i) {
        throw new ResumePlanError(`${pc.name} cannot be extended: RUN/last does not hold the state of its last epoch (saved by an older tlearn); start a new run`);
      }
      return {
        reopen: i,
        message: `${pc.name} finished after ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}; continuing it to ${want} epochs`,
      };
    }
    if (i === state.phaseIndex && state.phase !== null) {
      const p = state.phase;
      if (p.stopped && want !== before) {
        throw new ResumePlanError(`${pc.name} was ended by early stopping after ${p.epochsDone} epochs; resume with ${keyOf(i)} = ${before}`);
      }
      const started = p.epochsDone + (state.midEpoch ? 1 : 0);
      if (want < started) {
        throw new ResumePlanError(`${pc.name} already trained ${p.epochsDone} epoch${p.epochsDone === 1 ? '' : 's'}` +
          `${state.midEpoch ? ` and part of epoch ${started}` : ''}; ${keyOf(i)} cannot go down to ${want} on resume`);
      }
    }
  }
  return { reopen: null, message: null };
}
