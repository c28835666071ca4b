// Settings that are valid (PyTorch accepts them too) but almost certainly not what was meant. They are warnings,
// not errors: the run starts, and the trainer prints each as `warning: ...` (a `warning` event with --json).
import { RAND_AUGMENT } from '../../data/auto-augment-draw.js';
import { isViewDeterministic } from '../../data/transforms.js';
import type { RunConfig } from './types.js';

/** A learning rate as written in a config file: 1e-5 rather than 0.00001. */
function fmtRate(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential().replace('e+', 'e') : String(x);
}

/** The warnings for a resolved configuration, one line each (empty when there is nothing to say). */
export function configWarnings(config: RunConfig): string[] {
  const out: string[] = [];
  if (config.input.presize !== null && isViewDeterministic(config.augment)) {
    out.push(`input.presize ${config.input.presize} has no effect with augment "${config.augment}": only the random-resized-crop presets (light, standard, trivial, randaugment) use it`);
  }
  const rand = config.randAugment;
  if (config.augment !== 'randaugment' && (rand.numOps !== RAND_AUGMENT.numOps || rand.magnitude !== RAND_AUGMENT.magnitude)) {
    out.push(`randAugment (numOps ${rand.numOps}, magnitude ${rand.magnitude}) has no effect with augment "${config.augment}": only augment randaugment uses it`);
  }
  if ((config.mixup || config.cutmix) && config.featureCache.enabled) {
    const which = config.mixup && config.cutmix ? 'mixup and cutmix train' : config.mixup ? 'mixup trains' : 'cutmix trains';
    out.push(`${which} on mixed images, so the frozen layers' outputs are not cached (featureCache): every step runs the whole network, ` +
      'which makes a frozen-backbone phase several times slower');
  }
  if (config.randomErasing && config.featureCache.enabled && isViewDeterministic(config.augment)) {
    out.push(`randomErasing changes the training images in every epoch, so the frozen layers' outputs are not cached (featureCache): ` +
      'every step runs the whole network, which makes a frozen-backbone phase several times slower');
  }
  if (config.sampler === 'balanced' && (config.posWeight !== null || config.classWeights !== null)) {
    const weights = config.posWeight !== null ? `posWeight ${config.posWeight}` : `classWeights ${Array.isArray(config.classWeights) ? config.classWeights.join(',') : String(config.classWeights)}`;
    out.push(`sampler balanced already draws every class equally often; with ${weights} too, the loss weighs the rarer classes ` +
      'up a second time (use one of the two)');
  }
  config.phases.forEach((p, i) => {
    const where = `phases[${i}] (${p.name})`;
    const r = p.reduceLROnPlateau;
    if (r && r.minLr >= p.lr) {
      out.push(`${where}: reduceLROnPlateau.minLr ${fmtRate(r.minLr)} is not below the learning rate ${fmtRate(p.lr)}, so the scheduler can never lower it; ` +
        'use a smaller minLr (e.g. 0), or reduceLROnPlateau: false');
    }
    if (p.optimizer === 'sgd' && p.momentum !== undefined && p.momentum >= 1) {
      out.push(`${where}: SGD momentum ${p.momentum} is 1 or more, so past gradients never fade and the steps grow; usual values are 0.9 to 0.99`);
    }
  });
  return out;
}
