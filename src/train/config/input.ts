// What a user may give train() or resolveConfig({raw}): the shape of a config file (JSON or YAML), every key
// optional except data.path, with the shorthands the validator accepts (trainable: 'fc', earlyStopping: false,
// featureCache: false). resolveConfig fills in the rest from the defaults and checks the values; a complete
// RunConfig (e.g. RUN/config.json read back) is one too.
import type {
  Arch, Augment, BnPolicy, CacheDType, CheckpointFormat, Device, Mode, Monitor, OptimizerName, Precision, ResizeMode, Sampler,
  ThresholdMethod,
} from './types.js';

export interface DataConfigInput {
  /** The data folder (relative paths are resolved against process.cwd()). */
  path: string;
  /** A CSV `path,label[,split]` listing the images (paths in it relative to the CSV). */
  csv?: string | null;
  /** The positive class; default: the second class in sorted order. */
  positive?: string | null;
  valFraction?: number;
  testFraction?: number;
}

export interface ModelConfigInput {
  arch?: Arch;
  /** 'imagenet' (default), 'imagenet-v1', 'none', a name from `tlearn weights list`, or a .pth/.safetensors path. */
  weights?: string;
  dropout?: number;
}

export interface InputConfigInput {
  imageSize?: number;
  resize?: ResizeMode;
  /** Random crops from a cached copy with this shorter side at most (fastai's presizing); null: the original. */
  presize?: number | null;
  /** DICOM windows, [centre, width] each: one (grey) or three (red, green, blue); null: each file's own. */
  dicomWindows?: Array<[number, number]> | null;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

export interface FeatureCacheConfigInput {
  enabled?: boolean;
  memoryMB?: number;
  dir?: string | null;
  diskMB?: number | null;
  dtype?: CacheDType;
}

export interface EarlyStoppingConfigInput {
  monitor?: Monitor;
  /** Must agree with the monitor (losses 'min', the rest 'max'); leave it out to take the monitor's direction. */
  mode?: Mode;
  patience?: number;
  minDelta?: number;
}

export interface ReduceLROnPlateauConfigInput {
  monitor?: Monitor;
  mode?: Mode;
  patience?: number;
  factor?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/**
 * One phase. phases[0] and phases[1] start from the default two phases (head, then layer4 + head), so any key may
 * be left out there; a third phase or later needs at least `trainable` and `lr`.
 */
export interface PhaseConfigInput {
  name?: string;
  /** Module-name prefixes (`fc`, `layer4`, `layer4.2`, ...) or `all`; one name may be given as a string. */
  trainable?: string | readonly string[];
  optimizer?: OptimizerName;
  lr?: number;
  weightDecay?: number;
  betas?: readonly [number, number];
  eps?: number;
  momentum?: number;
  nesterov?: boolean;
  epochs?: number;
  /** null or false: no early stopping; true: the defaults. */
  earlyStopping?: EarlyStoppingConfigInput | boolean | null;
  /** null or false: a constant learning rate; true: the defaults. */
  reduceLROnPlateau?: ReduceLROnPlateauConfigInput | boolean | null;
  checkpoint?: { monitor?: Monitor; mode?: Mode };
}

/** A run configuration as written in a config file: resolveConfig({raw}) and train() complete and check it. */
export interface RunConfigInput {
  data: DataConfigInput;
  model?: ModelConfigInput;
  input?: InputConfigInput;
  augment?: Augment;
  sampler?: Sampler;
  batchSize?: number;
  accumulateGradBatches?: number;
  seed?: number;
  /** 0 = all cores. libtorch's thread count is process-wide. */
  threads?: number;
  device?: Device;
  precision?: Precision;
  channelsLast?: boolean | 'auto';
  bnPolicy?: BnPolicy;
  syncBatchNorm?: boolean;
  collectiveTimeoutSeconds?: number;
  peerTimeoutSeconds?: number;
  task?: string;
  posWeight?: number | 'auto' | null;
  classWeights?: 'auto' | number[] | null;
  labelSmoothing?: number;
  clipGradNorm?: number | null;
  /** true: alpha 0.4; false or null: none. */
  mixup?: { alpha?: number } | number | boolean | null;
  /** true: alpha 1; false or null: none. */
  cutmix?: { alpha?: number } | number | boolean | null;
  /** true: p 0.5, scale [0.02, 0.33], ratio [0.3, 3.3] (torchvision's RandomErasing); a number: p; false or null: none. */
  randomErasing?: { p?: number; scale?: [number, number]; ratio?: [number, number] } | number | boolean | null;
  /** augment randaugment's operations per image (default 2) and strength, 0 to 30 (default 9). */
  randAugment?: { numOps?: number; magnitude?: number };
  /** true: gamma 2, alpha 0.25 (torchvision's); false or null: BCE. */
  focalLoss?: { gamma?: number; alpha?: number | null } | boolean | null;
  /** true: decay 0.99; a number: the decay; false or null: none. */
  ema?: { decay?: number } | number | boolean | null;
  /** false turns the cache off. */
  featureCache?: FeatureCacheConfigInput | boolean;
  /** memoryMB: memory for decoded images (null: min(2048, RAM/4)); the rest go to RUN/.image-cache. */
  imageCache?: { memoryMB?: number | null };
  threshold?: { method?: ThresholdMethod; value?: number | null };
  /** true: alpha 0.1; a number: alpha (the sets' error rate); perClass: one q̂ per class; false or null: none. */
  conformal?: { alpha?: number; perClass?: boolean } | number | boolean | null;
  checkpointFormat?: CheckpointFormat;
  /** Replaces the default two phases (a shorter list drops the later ones). */
  phases?: readonly PhaseConfigInput[];
}
