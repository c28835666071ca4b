// Defaults of the run configuration. The phases are the seed's protocol exactly: phase 1 trains the head
// (fc) with Adam 1e-3 for 10 epochs; phase 2 unfreezes layer4 with a new Adam at 1e-5 for 10 epochs; both stop
// early on val_auc (max, patience 5), reduce the LR on a val_loss plateau (min, patience 3, factor 0.1,
// PyTorch's defaults otherwise) and keep the best checkpoint by val_auc.
import type {
  CheckpointConfig, CosineConfig, EarlyStoppingConfig, SwaConfig, FocalConfig, Mode, Monitor, OneCycleConfig, PhaseConfig, ReduceLROnPlateauConfig, RunConfig,
} from './types.js';
import { RAND_AUGMENT } from '../../data/auto-augment-draw.js';

/** The direction in which a metric improves: losses fall, everything else rises. Never guessed otherwise. */
export function modeForMonitor(monitor: Monitor): Mode {
  return monitor.endsWith('_loss') ? 'min' : 'max';
}

export const DEFAULT_EARLY_STOPPING: Readonly<EarlyStoppingConfig> = Object.freeze({
  monitor: 'val_auc', mode: 'max', patience: 5, minDelta: 0,
});

// torch.optim.lr_scheduler.ReduceLROnPlateau defaults except patience (10 there, 3 in the seed).
export const DEFAULT_REDUCE_LR: Readonly<ReduceLROnPlateauConfig> = Object.freeze({
  monitor: 'val_loss', mode: 'min', patience: 3, factor: 0.1, threshold: 1e-4, thresholdMode: 'rel',
  cooldown: 0, minLr: 0, eps: 1e-8,
});

// torch.optim.lr_scheduler.OneCycleLR's defaults (fastai's fit_one_cycle differs: pct_start 0.25, div_final 1e5).
export const DEFAULT_ONE_CYCLE: Readonly<OneCycleConfig> = Object.freeze({
  pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4, annealStrategy: 'cos', cycleMomentum: true, maxMomentum: 0.95, baseMomentum: 0.85,
});

// torch.optim.lr_scheduler.CosineAnnealingLR's default eta_min; no warmup, and with one a first epoch at a tenth of
// the rate (LinearLR's own default start_factor is 1/3).
export const DEFAULT_COSINE: Readonly<CosineConfig> = Object.freeze({ etaMin: 0, warmupEpochs: 0, warmupStartFactor: 0.1, interval: 'epoch' });

// Lightning's StochasticWeightAveraging: the last fifth of the epochs, annealed over 10 epochs by a cosine (also
// torch's SWALR defaults); the SWA rate is the phase's own (Lightning asks for one: swa_lrs).
export const DEFAULT_SWA: Readonly<SwaConfig> = Object.freeze({ start: 0.8, lr: null, annealEpochs: 10, annealStrategy: 'cos' });

// fastai's MixUp default (timm's mixup_alpha is 0.8); CutMix's usual 1.0 (Yun et al., timm's examples).
export const DEFAULT_MIXUP_ALPHA = 0.4;
export const DEFAULT_CUTMIX_ALPHA = 1;
// Keras's ema_momentum: an average over about 100 steps (timm's 0.9998 suits ImageNet's thousands of steps per epoch).
export const DEFAULT_EMA_DECAY = 0.99;
// Conformal prediction's usual 90 % coverage (MAPIE's and Angelopoulos & Bates's examples).
export const DEFAULT_CONFORMAL_ALPHA = 0.1;
// torchvision.transforms.RandomErasing's defaults (timm's --reprob is often 0.25).
export const DEFAULT_ERASING: Readonly<{ p: number; scale: readonly [number, number]; ratio: readonly [number, number] }> =
  Object.freeze({ p: 0.5, scale: [0.02, 0.33] as const, ratio: [0.3, 3.3] as const });
// torchvision.ops.sigmoid_focal_loss's defaults (RetinaNet's).
export const DEFAULT_FOCAL: Readonly<FocalConfig> = Object.freeze({ gamma: 2, alpha: 0.25 });

export const DEFAULT_CHECKPOINT: Readonly<CheckpointConfig> = Object.freeze({ monitor: 'val_auc', mode: 'max' });

/** Per-optimizer defaults: PyTorch's (AdamW's weight_decay is 0.01), except SGD momentum 0.9 (PyTorch: 0, rarely what anyone wants). */
export const OPTIMIZER_DEFAULTS = {
  adam: { weightDecay: 0, betas: [0.9, 0.999] as [number, number], eps: 1e-8 },
  adamw: { weightDecay: 0.01, betas: [0.9, 0.999] as [number, number], eps: 1e-8 },
  sgd: { weightDecay: 0, momentum: 0.9, nesterov: false },
} as const;

function seedPhase(name: string, trainable: string[], lr: number): PhaseConfig {
  return {
    name,
    trainable,
    optimizer: 'adam',
    lr,
    weightDecay: 0,
    decayNormsAndBiases: true,
    betas: [0.9, 0.999],
    eps: 1e-8,
    layerLrDecay: 1,
    epochs: 10,
    earlyStopping: { ...DEFAULT_EARLY_STOPPING },
    reduceLROnPlateau: { ...DEFAULT_REDUCE_LR },
    oneCycle: null,
    cosine: null,
    swa: null,
    checkpoint: { ...DEFAULT_CHECKPOINT },
  };
}

/** A fresh copy of the default configuration (data.path empty: it has no default). */
export function defaultConfig(): RunConfig {
  return {
    data: { path: '', csv: null, positive: null, valFraction: 0.15, testFraction: 0.15 },
    model: { arch: 'resnet50', weights: 'imagenet', dropout: 0.5 },
    input: { imageSize: 224, resize: 'squash', presize: null, dicomWindows: null, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    // Horizontal flips: cheap, rarely harmful, and still lets the loader and the feature cache reuse work.
    augment: 'flip',
    sampler: 'shuffle',
    batchSize: 32,
    accumulateGradBatches: 1,
    seed: 0,
    threads: 0,
    device: 'cpu',
    precision: 'fp32',
    channelsLast: 'auto',
    bnPolicy: 'eval',
    syncBatchNorm: true,
    collectiveTimeoutSeconds: 300,
    peerTimeoutSeconds: 30,
    task: 'auto',
    posWeight: null,
    classWeights: null,
    labelSmoothing: 0,
    clipGradNorm: null,
    mixup: null,
    cutmix: null,
    randomErasing: null,
    randAugment: { ...RAND_AUGMENT },
    focalLoss: null,
    ema: null,
    featureCache: { enabled: true, memoryMB: 2048, dir: null, diskMB: null, dtype: 'fp32' },
    imageCache: { memoryMB: null },
    threshold: { method: 'fixed', value: 0.5 },
    calibration: 'none',
    conformal: null,
    checkpointFormat: 'both',
    phases: [seedPhase('phase1', ['fc'], 1e-3), seedPhase('phase2', ['layer4', 'fc'], 1e-5)],
  };
}
