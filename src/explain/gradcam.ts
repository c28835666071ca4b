// Grad-CAM (Selvaraju et al. 2017) in libtorch: the gradients of the chosen class's logit with respect to a
// stage's output A (a convolutional stage: layer1..layer4 of a ResNet, the family's stages before its pooling), channel weights = the spatially averaged gradients, ReLU of the weighted
// sum of A's channels, bilinear upsampling to the input size (F.interpolate, align_corners=False), and a min-max
// normalisation to [0, 1] per image: (m - min) / (max - min + 1e-7), the arithmetic of pytorch-grad-cam's
// scale_cam_image, applied here to the upsampled map (pytorch-grad-cam applies it before its cv2.resize).
import { enableGrad, F, noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { ImageClassifier } from '../models/index.js';

/** A stage name of the model (ResNet: layer1..layer4). */
export type CamLayer = string;

/**
 * The stages whose output Grad-CAM can take: a convolutional network's stages after its stem and before its
 * global pooling, each a 4-D feature map (ResNet: layer1..layer4). A network without a pooling stage (ViT: its
 * stages carry tokens) has none.
 */
export function camLayers(model: ImageClassifier): string[] {
  const pool = model.stages.indexOf('pool');
  return pool < 0 ? [] : model.stages.slice(1, pool);
}

/** The last feature map before the pooling (ResNet: layer4), the usual Grad-CAM layer; null where there is none. */
export function defaultCamLayer(model: ImageClassifier): string | null {
  return camLayers(model).at(-1) ?? null;
}

/**
 * Which score to explain, per image: `output` is the index of the Linear output and `sign` +1 for that logit,
 * -1 for its negation (a binary model's negative class: its one logit is the positive class's).
 */
export interface CamTarget { output: number; sign: 1 | -1 }

/** The target of class index `c` (into the model's class list) for a model of `outputs` outputs. */
export function camTarget(outputs: number, c: number): CamTarget {
  if (outputs === 1) return { output: 0, sign: c === 1 ? 1 : -1 };
  return { output: c, sign: 1 };
}

export interface CamResult {
  /** [N, H, W] maps in [0, 1] at the input's size (float32, CPU). */
  maps: Tensor;
  /** [N, K] logits of the model (eval mode). */
  logits: Tensor;
}

/**
 * Grad-CAM maps of a normalised image batch x [N, 3, H, W], one target per image. The model runs in eval mode
 * (its modes and the parameters' requires_grad are restored afterwards); no parameter gradient is accumulated.
 */
export function gradCam(model: ImageClassifier, x: Tensor, layer: CamLayer, targets: readonly CamTarget[]): CamResult {
  const n = x.size(0);
  if (targets.length !== n) throw new Error(`gradCam: ${targets.length} targets for ${n} images`);
  for (const t of targets) {
    if (!Number.isInteger(t.output) || t.output < 0 || t.output >= model.outputs) throw new Error(`gradCam: output ${t.output} is not one of the model's ${model.outputs}`);
  }
  const layers = camLayers(model);
  if (!layers.includes(layer)) {
    throw new Error(layers.length === 0
      ? `Grad-CAM needs a convolutional feature map, and ${model.arch} has none (its stages carry tokens)`
      : `Grad-CAM layer ${JSON.stringify(layer)} is not a feature-map stage of ${model.arch}; choose one of ${layers.join(', ')}`);
  }
  const stages = model.stages;
  const modes = model.modules().map((m) => [m, m.training] as const);
  const params = model.parameters().map((p) => [p, p.requiresGrad] as const);
  model.eval();
  for (const [p] of params) p.requiresGrad_(false);
  try {
    return scope(() => {
      // The prefix needs no graph: the layer's output becomes the leaf whose gradient is wanted.
      const a = noGrad(() => model.forwardStages(x, stages[0]!, layer)).float().contiguous().requiresGrad_(true);
      const next = stages[stages.indexOf(layer) + 1]!;
      return enableGrad(() => {
        const logits = model.forwardStages(a, next, stages.at(-1)!);
        // One backward for the batch: images are independent in eval mode, so d(sum of scores)/dA_i = d(score_i)/dA_i.
        const index = tensor(BigInt64Array.from(targets, (t) => BigInt(t.output)), { shape: [n, 1] }).to(logits.device);
        const signs = tensor(Float32Array.from(targets, (t) => t.sign), { shape: [n, 1] }).to(logits.device);
        logits.gather(1, index).mul(signs).sum().backward();
        const grad = a.grad!;
        const maps = noGrad(() => {
          const weights = grad.mean([2, 3], true);
          const cam = a.detach().mul(weights).sum(1, true).relu();
          const up = F.upsampleBilinear2d(cam, [x.size(2), x.size(3)], false).squeeze(1);
          const lo = up.amin([1, 2], true);
          const hi = up.amax([1, 2], true);
          return up.sub(lo).div(hi.sub(lo).add(1e-7)).cpu().contiguous();
        });
        return { maps, logits: logits.detach().cpu() };
      });
    });
  } finally {
    for (const [p, on] of params) p.requiresGrad_(on);
    for (const [m, on] of modes) m.training = on;
  }
}
