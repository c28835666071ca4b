// The run configuration: what a user can ask a training run for. Every field is filled in after
// resolveConfig(), so the trainer never has to know a default, and RUN/config.json records the whole run.

import { TASK_KINDS } from '../../models/bounds.js';
import { ALL_ARCHS, type Arch as ZooArch } from '../../models/zoo.js';

/** The task a run trains ('auto': decided by the data). */
export const TASK_REQUESTS = ['auto', ...TASK_KINDS] as const;
export type TaskRequest = (typeof TASK_REQUESTS)[number];

/** Every architecture of the zoo (src/models/zoo.ts). */
export const ARCHS: readonly ZooArch[] = ALL_ARCHS;
export type Arch = ZooArch;

/** Named pretrained weights (the registry in src/io/weights.ts maps them per arch); anything else is a file path. */
export const WEIGHT_NAMES = ['imagenet', 'imagenet-v1', 'none'] as const;

export const RESIZE_MODES = ['squash', 'crop'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

export const AUGMENTS = ['none', 'flip', 'light', 'standard', 'dihedral', 'trivial', 'randaugment'] as const;
export type Augment = (typeof AUGMENTS)[number];
/** Which training images an epoch sees: each once, shuffled, or class-balanced draws (data/balanced.ts). */
export const SAMPLER_KINDS = ['shuffle', 'balanced'] as const;
export type Sampler = (typeof SAMPLER_KINDS)[number];

export const DEVICES = ['cpu', 'cuda'] as const;
export type Device = (typeof DEVICES)[number];

export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const BN_POLICIES = ['eval', 'train'] as const;
export type BnPolicy = (typeof BN_POLICIES)[number];

export const CACHE_DTYPES = ['fp32', 'fp16', 'bf16'] as const;
export type CacheDType = (typeof CACHE_DTYPES)[number];

export const THRESHOLD_METHODS = ['fixed', 'youden', 'f1', 'sensitivity', 'specificity'] as const;
export type ThresholdMethod = (typeof THRESHOLD_METHODS)[number];

/** How probabilities are calibrated after training: none, or temperature scaling fitted on validation (Guo et al. 2017). */
export const CALIBRATIONS = ['none', 'temperature'] as const;
export type Calibration = (typeof CALIBRATIONS)[number];

export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const MONITORS = ['val_auc', 'val_loss', 'val_accuracy', 'train_loss', 'train_accuracy'] as const;
export type Monitor = (typeof MONITORS)[number];

export const MODES = ['min', 'max'] as const;
export type Mode = (typeof MODES)[number];

/** 'both' (the default) writes every checkpoint as .safetensors and as torch.save's .pth. */
export const CHECKPOINT_FORMATS = ['both', 'safetensors', 'pth'] as const;
export type CheckpointFormat = (typeof CHECKPOINT_FORMATS)[number];

export interface DataConfig {
  /** Folder with {train,val,test}/<class>/ or <class>/ (absolute after resolution). */
  path: string;
  /** Optional CSV `path,label[,split]` (paths relative to the CSV); when set, it lists the images. */
  csv: string | null;
  /** Name of the positive class; null = the second class in sorted order. */
  positive: string | null;
  /** Fractions used only when the data has no split folders / split column. */
  valFraction: number;
  testFraction: number;
}

export interface ModelConfig {
  arch: Arch;
  /** 'imagenet' (best torchvision weights for the arch), 'imagenet-v1', 'none' (random init), or a file path. */
  weights: string;
  /** Dropout before the head's Linear (the seed's `fc = Sequential(Dropout, Linear, Sigmoid)`). */
  dropout: number;
}

export interface InputConfig {
  imageSize: number;
  resize: ResizeMode;
  /**
   * Random-resized crops (augment light, standard, trivial, randaugment) are drawn from a copy of each training image whose shorter
   * side is at most this, decoded once and cached (fastai's presizing); null: from the original file in every
   * epoch, as torchvision's RandomResizedCrop does.
   */
  presize: number | null;
  /**
   * DICOM images through these windows, [centre, width] on the rescaled values (PS3.3 LINEAR), instead of each
   * file's own: one for grey images, three for the red, green and blue channels; null: each file's own window.
   */
  dicomWindows: Array<[number, number]> | null;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface FeatureCacheConfig {
  /** Cache the frozen prefix's outputs per image view (only when everything before the trainable part is frozen). */
  enabled: boolean;
  memoryMB: number;
  /** Spill folder once memoryMB is used; null = a folder inside the run directory. */
  dir: string | null;
  /** Most megabytes per cached stage in the spill folder; null = no limit. Views beyond it are computed again. */
  diskMB: number | null;
  dtype: CacheDType;
}

export interface ImageCacheConfig {
  /**
   * Memory for decoded, resized images (null: min(2048, a quarter of the RAM)); the rest go to RUN/.image-cache,
   * which the run removes when it ends.
   */
  memoryMB: number | null;
}

export interface ThresholdConfig {
  method: ThresholdMethod;
  /** fixed: the threshold; sensitivity/specificity: the target rate; youden/f1: null. */
  value: number | null;
}

export interface EarlyStoppingConfig {
  monitor: Monitor;
  mode: Mode;
  patience: number;
  minDelta: number;
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau's parameters, same names in camelCase. */
export interface ReduceLROnPlateauConfig {
  monitor: Monitor;
  mode: Mode;
  patience: number;
  factor: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLr: number;
  eps: number;
}

export interface CheckpointConfig {
  monitor: Monitor;
  mode: Mode;
}

/**
 * torch.optim.lr_scheduler.OneCycleLR's parameters (same names in camelCase), stepped after every batch: the
 * rate rises from lr / divFactor to the phase's lr over pctStart of the phase's steps, then anneals to
 * lr / (divFactor · finalDivFactor); Adam's beta1 (SGD's momentum) cycles from maxMomentum to baseMomentum and back.
 */
export interface OneCycleConfig {
  pctStart: number;
  divFactor: number;
  finalDivFactor: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  maxMomentum: number;
  baseMomentum: number;
}

export interface MixConfig {
  /** The Beta distribution's parameter: small values mix little (most λ near 0 or 1), 1 is uniform. */
  alpha: number;
}

/** Split conformal prediction's setting: the error rate the sets may have (0.1: they hold the true class 90 % of the time). */
export interface ConformalConfig {
  alpha: number;
  /** Class-conditional sets: one q̂ per class from its own validation images, so that each class is covered 1 − alpha of the time. */
  perClass: boolean;
}

/** RandAugment's parameters (augment randaugment; torchvision's RandAugment num_ops and magnitude). */
export interface RandAugmentConfig {
  /** Operations applied in a row to each training image (torchvision's default 2). */
  numOps: number;
  /** Their strength, 0 to 30 of torchvision's 31 steps (default 9). */
  magnitude: number;
}

/** Random erasing of training images (torchvision's RandomErasing with value 0; src/data/erasing.ts). */
export interface ErasingConfig {
  /** The chance that an image gets a box. */
  p: number;
  /** The box's area as a fraction of the image's: [lowest, highest]. */
  scale: [number, number];
  /** The box's height / width: [lowest, highest], drawn log-uniformly. */
  ratio: [number, number];
}

/** torchvision.ops.sigmoid_focal_loss's parameters (Lin et al. 2017), and kornia.losses.focal_loss's for multiclass. */
export interface FocalConfig {
  /** The focusing exponent: (1 - p_t)^gamma scales each term (0: BCE, cross-entropy). */
  gamma: number;
  /** Sigmoid: the positives' weight (the negatives' is 1 - alpha); softmax: a factor of every term; null: none. */
  alpha: number | null;
}

/** An exponential moving average of the weights (src/train/weight-average.ts): avg = lerp(avg, live, 1 - decay) per step. */
export interface EmaConfig {
  /** How much of the average each step keeps: it spans about 1 / (1 - decay) steps (100 at 0.99). */
  decay: number;
}

/** When a cosine schedule steps: after every epoch (torchvision's recipe), or after every optimizer step (Lightning's interval 'step'). */
export const COSINE_INTERVALS = ['epoch', 'step'] as const;
export type CosineInterval = (typeof COSINE_INTERVALS)[number];

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR over the phase's epochs (T_max = epochs), stepped after every epoch; or,
 * with interval 'step', over its optimizer steps (T_max = epochs x steps per epoch), stepped after every step.
 */
export interface CosineConfig {
  etaMin: number;
  /**
   * Epochs of linear warmup before the annealing (0: none): LinearLR from warmupStartFactor x lr, then
   * CosineAnnealingLR over the remaining epochs, chained by SequentialLR as in PyTorch's recipe. With interval
   * 'step' a share of an epoch may be given (0.5: half an epoch's steps; rounded to whole steps, at least one).
   */
  warmupEpochs: number;
  /** LinearLR's start_factor: the first warmup epoch's (step's) share of lr. */
  warmupStartFactor: number;
  interval: CosineInterval;
}

/**
 * Stochastic weight averaging over a phase's last epochs (Izmailov et al. 2018; torch.optim.swa_utils, Lightning's
 * StochasticWeightAveraging): from the epoch after `start` the rate follows SWALR and the weights at the end of each
 * epoch are averaged; validation and the best checkpoint see the average.
 */
export interface SwaConfig {
  /** Epochs before the averaging begins: a share of the phase's epochs (0 <= start < 1, rounded down) or a count (>= 1). */
  start: number;
  /** The rate SWALR anneals each group to (null: the phase's lr, each group's own with layerLrDecay). */
  lr: number | null;
  /** Epochs SWALR takes to reach it (0: from the first averaged epoch on). */
  annealEpochs: number;
  annealStrategy: 'cos' | 'linear';
}

export interface PhaseConfig {
  /** Used in file names (best_model_<name>.*) and history rows. */
  name: string;
  /** Module-name prefixes made trainable (`fc`, `layer4`, `layer4.2`, `conv1`, ...) or `all`; the rest is frozen. */
  trainable: string[];
  /** A new optimizer is created for every phase (as the seed does). */
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  /**
   * Whether weightDecay also applies to biases and normalisation weights (every parameter of at most one dimension):
   * true as torch.optim over model.parameters(); false as timm's filter_bias_and_bn and fastai's wd_bn_bias=False.
   */
  decayNormsAndBiases: boolean;
  /** adam/adamw only (PyTorch defaults [0.9, 0.999] and 1e-8). */
  betas?: [number, number];
  eps?: number;
  /** sgd only (default 0.9, nesterov false). */
  momentum?: number;
  nesterov?: boolean;
  /**
   * Discriminative learning rates (fastai's lr=slice(lo, hi), timm's layer_decay): the trainable modules, in the
   * network's order, each get the rate of the one after them times this; the last (the head) gets lr. 1: one rate.
   */
  layerLrDecay: number;
  /** 0 skips the phase. */
  epochs: number;
  earlyStopping: EarlyStoppingConfig | null;
  reduceLROnPlateau: ReduceLROnPlateauConfig | null;
  /** A one-cycle schedule over the phase's epochs, peaking at lr (null: the rate changes only by reduceLROnPlateau). */
  oneCycle: OneCycleConfig | null;
  /** Cosine annealing from lr to etaMin over the phase's epochs (null: none). */
  cosine: CosineConfig | null;
  /** Stochastic weight averaging over the phase's last epochs (null: none). */
  swa: SwaConfig | null;
  checkpoint: CheckpointConfig;
}

export interface RunConfig {
  data: DataConfig;
  model: ModelConfig;
  input: InputConfig;
  augment: Augment;
  /**
   * 'balanced': each epoch draws as many training images as there are, with replacement, every class equally
   * often (WeightedRandomSampler with weights 1 / class count; binary and multiclass). 'shuffle': each once.
   */
  sampler: Sampler;
  batchSize: number;
  /**
   * Batches whose gradients add up before one optimizer step (Lightning's accumulate_grad_batches, Keras's
   * gradient_accumulation_steps): a step then sees batchSize x this many images, with the memory of one batch.
   */
  accumulateGradBatches: number;
  seed: number;
  /** 0 = all cores. */
  threads: number;
  device: Device;
  precision: Precision;
  /** NHWC activations; 'auto' = where it is faster (CPU, images of 96 px and more). */
  channelsLast: boolean | 'auto';
  /** Frozen BatchNorm layers: 'eval' keeps their statistics fixed; 'train' updates them as the seed's model.train() did. */
  bnPolicy: BnPolicy;
  /**
   * Data-parallel runs: BatchNorm layers that train normalise with the statistics of all ranks' batches together
   * (torch.nn.SyncBatchNorm), so that N ranks train as one process with the global batch; false: each rank's own.
   */
  syncBatchNorm: boolean;
  /** Data-parallel runs: how long a rank waits in a collective for the others before it stops with an error. */
  collectiveTimeoutSeconds: number;
  /** Data-parallel runs: how long another rank's heartbeat (or the rendezvous store) may stay silent before every
   *  rank stops, naming it, even while blocked in a collective. */
  peerTimeoutSeconds: number;
  /**
   * What the model predicts: 'auto' = binary for 2 classes, multiclass for more, multilabel for a CSV of
   * ';'-separated labels (or a labels column).
   */
  task: TaskRequest;
  /**
   * BCE pos_weight (binary, and each label of multilabel): null = none, a number, or 'auto' = n_neg / n_pos
   * on the training split (per label for multilabel).
   */
  posWeight: number | 'auto' | null;
  /** Multiclass cross-entropy class weights: null = none, 'auto' = sklearn's compute_class_weight('balanced'), or one per class. */
  classWeights: 'auto' | number[] | null;
  /** Multiclass cross-entropy label smoothing in [0, 1). */
  labelSmoothing: number;
  /**
   * The largest total L2 norm of the gradients of a step (torch.nn.utils.clip_grad_norm_ before each optimizer step;
   * Lightning's gradient_clip_val, timm's --clip-grad); null: no clipping.
   */
  clipGradNorm: number | null;
  /** Mixup of the training batches (λ ~ Beta(alpha, alpha) per batch; src/train/mixup.ts); null: none. */
  mixup: MixConfig | null;
  /** CutMix of the training batches (a box of the mirror image, λ ~ Beta(alpha, alpha)); with mixup, one of the two per batch. */
  cutmix: MixConfig | null;
  /** Random erasing of the training images, after the preset and the normalisation; null: none. */
  randomErasing: ErasingConfig | null;
  /** RandAugment's operations per image and their strength (used by augment randaugment only). */
  randAugment: RandAugmentConfig;
  /** torchvision's sigmoid focal loss instead of BCE (binary, multilabel), kornia's softmax one instead of cross-entropy (multiclass); null: neither. */
  focalLoss: FocalConfig | null;
  /** Validation and the checkpoints use a moving average of the weights (null: the weights themselves). */
  ema: EmaConfig | null;
  featureCache: FeatureCacheConfig;
  imageCache: ImageCacheConfig;
  threshold: ThresholdConfig;
  /**
   * 'temperature': at the end of training one temperature T is fitted on the validation logits (minimising the
   * NLL), stored in the final checkpoint and applied wherever it predicts; the threshold is chosen after it.
   */
  calibration: Calibration;
  /**
   * Split conformal prediction sets (metrics/conformal.ts): at the end of training q̂ is fitted on the validation
   * probabilities (after any temperature) so that sets miss the true class at most alpha of the time; stored in the
   * final checkpoint; predict, evaluate and serve then give each image's set. Binary and multi-class; null: none.
   */
  conformal: ConformalConfig | null;
  checkpointFormat: CheckpointFormat;
  phases: PhaseConfig[];
}
