// Stops a run on a non-finite loss, naming where it happened. The trainer checks before backward() and the
// optimizer step, so the weights of the last completed epoch (RUN/last) and the best checkpoints stay good.
export class NonFiniteLossError extends Error {
  constructor(readonly phase: string, readonly epoch: number, readonly batch: number | null, readonly value: number, readonly where: 'training' | 'validation') {
    super(
      `the ${where} loss is ${value} in phase '${phase}', epoch ${epoch}` + (batch === null ? '' : `, batch ${batch}`) +
      ': training stopped. The last completed epoch is saved in RUN/last and the best checkpoints are kept. ' +
      'Usual causes: a learning rate that is too high, or corrupt input values.',
    );
    this.name = 'NonFiniteLossError';
  }
}

export function checkFinite(value: number, phase: string, epoch: number, batch: number | null, where: 'training' | 'validation'): void {
  if (!Number.isFinite(value)) throw new NonFiniteLossError(phase, epoch, batch, value, where);
}
