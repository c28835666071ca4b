// Option groups shared by several commands (train, cv, lr-find, demo; evaluate, predict, explain), and the
// ConfigOverrides those flags name. program.ts puts them on each command.
import { type Command, Option } from 'commander';
import { ARCHS, AUGMENTS, BN_POLICIES, CALIBRATIONS, defaultConfig, DEVICES, PRECISIONS, RESIZE_MODES, SAMPLER_KINDS, TASK_REQUESTS, THRESHOLD_METHODS, type ConfigOverrides } from '../train/config/index.js';
import { ACCUMULATE_GRAD_BATCHES, IMAGE_SIZE } from '../models/bounds.js';
import * as parse from './parse.js';

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The defaults that `demo` sets apart from train's (shown in each command's option help). */
export interface ModelOptionDefaults { imageSize: number; epochs1: number; epochs2: number }
const TRAIN_DEFAULTS: ModelOptionDefaults = (() => {
  const d = defaultConfig();
  return { imageSize: d.input.imageSize, epochs1: d.phases[0]!.epochs, epochs2: d.phases[1]!.epochs };
})();

/** Options shared by `train` and `demo` that override the run configuration. */
export function addModelOptions(cmd: Command, d: ModelOptionDefaults = TRAIN_DEFAULTS): Command {
  return cmd
    .option('--weights <name|path>', 'pretrained weights: imagenet, imagenet-v1, none, a name from `tlearn weights list` (e.g. resnet50.tv2_in1k), or a .pth/.safetensors file (default imagenet)', parse.nonEmpty)
    .addOption(new Option('--arch <arch>', 'backbone architecture (default resnet50; see tlearn weights list)').choices(ARCHS))
    .option('--image-size <px>', `input size in pixels (default ${d.imageSize})`, parse.integer(IMAGE_SIZE.min, IMAGE_SIZE.max))
    .option('--epochs1 <n>', `epochs of phase 1, the head only (default ${d.epochs1}; 0 skips it)`, parse.integer(0))
    .option('--epochs2 <n>', `epochs of phase 2, last stage + head (layer4 for ResNet; default ${d.epochs2}; 0 skips it)`, parse.integer(0))
    .option('--lr1 <lr>', 'learning rate of phase 1 (default 1e-3)', parse.positiveNumber)
    .option('--lr2 <lr>', 'learning rate of phase 2 (default 1e-5)', parse.positiveNumber)
    .option('--batch-size <n>', 'images per batch (default 32)', parse.integer(2, 65536))
    .option('--accumulate-grad-batches <k>', 'add up the gradients of k batches before each optimizer step: a step sees k x --batch-size images with the memory of one batch (default 1)', parse.integer(ACCUMULATE_GRAD_BATCHES.min, ACCUMULATE_GRAD_BATCHES.max))
    .addOption(new Option('--augment <preset>', 'training augmentation (default flip)').choices(AUGMENTS))
    .addOption(new Option('--sampler <kind>', 'training images per epoch: shuffle = each once; balanced = as many draws with replacement, every class equally often (default shuffle)').choices(SAMPLER_KINDS))
    .option('--seed <n>', 'seed of every random choice (default 0)', parse.integer(0, 2 ** 32 - 1))
    .option('--threads <n>', 'CPU threads, 0 = all cores (default 0)', parse.integer(0, 4096))
    .addOption(new Option('--device <device>', 'where to compute (default cpu)').choices(DEVICES))
    .addOption(new Option('--precision <p>', 'fp32, or bf16 autocast (default fp32)').choices(PRECISIONS))
    .option('--channels-last', 'NHWC memory format (default: on CPU at 96 px and more, where it is faster)')
    .option('--no-channels-last', 'NCHW memory format')
    .option('--json', 'print progress as JSON lines and the result as JSON on stdout');
}

export function addTrainOnlyOptions(cmd: Command): Command {
  return cmd
    .option('--positive <class>', 'name of the positive class (default: the second class in sorted order)', parse.nonEmpty)
    .addOption(new Option('--resize <mode>', 'squash to size x size, or crop (shorter side, centre crop) (default squash)').choices(RESIZE_MODES))
    .option('--presize <px>', 'random crops (augment light, standard, trivial, randaugment) from a cached copy with this shorter side at most (default: the original file each epoch)', parse.integer(1, 65536))
    .option('--dicom-window <center,width>', 'read DICOM images through this window on their rescaled values (Hounsfield units for CT), instead of each file\'s own: once for grey images, three times for the red, green and blue channels (e.g. brain 40,80, subdural 80,200, bone 600,2800); kept in the model for predict and serve', parse.dicomWindow)
    .option('--val-fraction <f>', 'validation share when DATA has no split folders (default 0.15)', parse.fraction(false))
    .option('--test-fraction <f>', 'test share when DATA has no split folders (default 0.15)', parse.fraction(false))
    .option('--dropout <p>', 'dropout before the head (default 0.5)', parse.fraction(false))
    .addOption(new Option('--bn-policy <policy>', 'frozen BatchNorm: eval keeps statistics fixed, train updates them like the seed (default eval)').choices(BN_POLICIES))
    .addOption(new Option('--task <task>', 'what to predict: auto = binary for 2 classes, multiclass for more, multilabel for a CSV of ;-separated labels (default auto)').choices(TASK_REQUESTS))
    .option('--pos-weight <w>', 'BCE pos_weight (binary; multilabel: per label): a number, or auto = negatives/positives in train (default none)', parse.posWeight)
    .addOption(new Option('--class-weights <w>', 'multiclass cross-entropy class weights: auto = n / (classes x class count) as scikit-learn\'s balanced (default none)').choices(['auto', 'none']))
    .option('--label-smoothing <s>', 'multiclass cross-entropy label smoothing in [0, 1) (default 0)', parse.fraction(false))
    .addOption(new Option('--threshold-method <method>', 'how the decision threshold is chosen on val (default fixed)').choices(THRESHOLD_METHODS))
    .option('--threshold <t>', 'the fixed decision threshold (default 0.5), or the target rate of --threshold-method sensitivity/specificity (e.g. 0.95)', parse.fraction(true))
    .option('--clip-grad-norm <n>', 'clip the gradients of each step to this total L2 norm, as torch.nn.utils.clip_grad_norm_ (default none)', parse.positiveNumber)
    .option('--mixup <alpha>', 'mixup of the training batches: each image mixed with another by λ ~ Beta(alpha, alpha), the loss likewise (fastai\'s MixUp, timm\'s batch mode; 0.4 is fastai\'s default); the frozen layers\' outputs are then not cached (default none)', parse.positiveNumber)
    .option('--cutmix <alpha>', 'CutMix of the training batches: a box of another image pasted in, λ ~ Beta(alpha, alpha) (1.0 is usual); with --mixup, one of the two per batch; the frozen layers\' outputs are then not cached (default none)', parse.positiveNumber)
    .option('--focal-loss', 'focal loss (gamma 2, alpha 0.25; --set focalLoss.gamma=...) for many easy images: torchvision\'s sigmoid one instead of BCE (binary, multilabel), kornia\'s softmax one instead of cross-entropy (multiclass)')
    .option('--random-erasing <p>', 'random erasing of the training images: with probability p a box of 2% to 33% of the image is set to the mean colour after the normalisation (torchvision\'s RandomErasing; timm\'s --reprob, often 0.25); the frozen layers\' outputs are then not cached (default none)', parse.fraction(true))
    .option('--randaugment-ops <n>', 'augment randaugment: operations applied in a row to each training image (torchvision\'s num_ops; timm\'s rand-n) (default 2)', parse.integer(1, 16))
    .option('--randaugment-magnitude <m>', 'augment randaugment: their strength, 0 to 30 (torchvision\'s magnitude; timm\'s rand-m) (default 9)', parse.integer(0, 30))
    .option('--ema <decay>', 'validate and checkpoint a moving average of the weights, avg = decay x avg + (1 - decay) x weights after every step (timm\'s ModelEma, Keras\'s use_ema; 0.99 averages about 100 steps) (default none)', parse.fraction(false))
    .option('--one-cycle', 'every phase follows a one-cycle schedule peaking at its learning rate, set after every batch (PyTorch\'s OneCycleLR, as fastai\'s fit_one_cycle), instead of lowering it on a plateau')
    .option('--swa', 'stochastic weight averaging in every phase: from 80 % of its epochs on, the rate annealed to its lr (SWALR) and the weights at each epoch\'s end averaged, BatchNorm statistics recomputed; validated and checkpointed (torch.optim.swa_utils, Lightning\'s StochasticWeightAveraging)')
    .option('--conformal <alpha>', 'conformal prediction sets (binary, multi-class): fitted on the validation split after training so that an image\'s set of classes misses its true class at most alpha of the time (0.1: 90 % coverage); stored in the model, given by predict, evaluate and serve (default none)', parse.fraction(false))
    .option('--conformal-per-class', 'conformal sets with one threshold per class (class-conditional, "Mondrian"): each class is covered 1 - alpha of the time, not only on average (alpha 0.1 without --conformal)')
    .addOption(new Option('--calibration <method>', 'temperature: fit a temperature on the validation logits after training, stored in the model and applied wherever it predicts; the threshold is chosen after it (default none)').choices(CALIBRATIONS))
    .addOption(new Option('--checkpoint-format <format>', 'format of the checkpoints: both = .safetensors and .pth (default both)').choices(['both', 'safetensors', 'pth']))
    .option('--no-feature-cache', 'do not cache the frozen layers\' outputs')
    .option('--set <key=value>', 'set any configuration key, e.g. phases[1].optimizer=sgd (repeatable)', parse.collect)
    .option('--resume', 'continue the run in --out from RUN/last/ (stopped, or finished: higher --epochs1/--epochs2 continue a phase that ran to its limit)');
}

/** The ConfigOverrides named by parsed train/demo flags (undefined = not given, the file or default applies). */
export function overridesFrom(o: Record<string, any>): ConfigOverrides {
  const pick: ConfigOverrides = {
    weights: o.weights, arch: o.arch, imageSize: o.imageSize, epochs1: o.epochs1, epochs2: o.epochs2, lr1: o.lr1, lr2: o.lr2,
    batchSize: o.batchSize, accumulateGradBatches: o.accumulateGradBatches, augment: o.augment, sampler: o.sampler, seed: o.seed, threads: o.threads, device: o.device, precision: o.precision,
    channelsLast: o.channelsLast, positive: o.positive, resize: o.resize, presize: o.presize, dicomWindows: o.dicomWindow, valFraction: o.valFraction, testFraction: o.testFraction,
    dropout: o.dropout, bnPolicy: o.bnPolicy, posWeight: o.posWeight, thresholdMethod: o.thresholdMethod, threshold: o.threshold, calibration: o.calibration, conformal: o.conformal, conformalPerClass: o.conformalPerClass ? true : undefined,
    task: o.task, classWeights: o.classWeights, labelSmoothing: o.labelSmoothing, clipGradNorm: o.clipGradNorm, mixup: o.mixup, cutmix: o.cutmix, randomErasing: o.randomErasing, randAugmentOps: o.randAugmentOps, randAugmentMagnitude: o.randAugmentMagnitude, ema: o.ema, focalLoss: o.focalLoss ? true : undefined, oneCycle: o.oneCycle ? true : undefined, swa: o.swa ? true : undefined,
    checkpointFormat: o.checkpointFormat, set: o.set,
    // commander sets featureCache = true by default for --no-feature-cache; only an explicit "no" overrides.
    featureCache: o.featureCache === false ? false : undefined,
  };
  for (const k of Object.keys(pick) as (keyof ConfigOverrides)[]) if (pick[k] === undefined) delete pick[k];
  return pick;
}

/** Options for commands that load a trained (or seed) model. */
export function addModelFileOptions(cmd: Command): Command {
  return addModelReadingOptions(cmd.option('--threshold <t>', 'decision threshold (default: the one stored with the model, else 0.5)', parse.fraction(true)));
}

/** How a model file without tlearn metadata is read (its size, classes, task, resize), and where it computes. */
export function addModelReadingOptions(cmd: Command): Command {
  return cmd
    .option('--image-size <px>', 'input size for a model file without tlearn metadata (default 224)', parse.integer(IMAGE_SIZE.min, IMAGE_SIZE.max))
    .option('--classes <names>', 'class names for a model file without tlearn metadata: NEG,POS for one output, else one per output in order (default 0,1,...)', parse.classes)
    .addOption(new Option('--task <task>', 'the task of a model file without tlearn metadata with several outputs (default multiclass; one output is binary)').choices(['binary', 'multiclass', 'multilabel']))
    .addOption(new Option('--resize <mode>', 'resize for a model file without tlearn metadata: squash to size x size, or crop (shorter side, centre crop) (default squash)').choices(RESIZE_MODES))
    .option('--batch-size <n>', 'images per batch (default 32)', parse.integer(1, 65536))
    .addOption(new Option('--device <device>', 'where to compute (default cpu)').choices(DEVICES))
    .option('--threads <n>', 'CPU threads, 0 = all cores (default 0)', parse.integer(0, 4096));
}
