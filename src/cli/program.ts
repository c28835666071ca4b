// The command-line grammar (commander). Parsing and value checks happen here; each command's action lives in
// commands/<name>.ts, imported only when that command runs, and receives typed, validated options.
import { type Command, Option } from 'commander';
import { TTA_HELP, TTA_MODES } from '../eval/tta.js';
import { RESIZE_MODES } from '../train/config/index.js';
import { addModelFileOptions, addModelOptions, addModelReadingOptions, addTrainOnlyOptions, examples, overridesFrom } from './options.js';
import { TlearnCommand } from './tlearn-command.js';
import { shortenArguments } from './errors.js';
import type { CliIO } from './io.js';
import * as parse from './parse.js';
import { packageVersion } from './paths.js';
import type { CvCommandOptions } from './commands/cv.js';
import type { DemoOptions } from './commands/demo.js';
import type { LrFindCommandOptions } from './commands/lr-find.js';
import type { DoctorOptions } from './commands/doctor.js';
import type { EvaluateOptions } from './commands/evaluate.js';
import type { CalibrateCommandOptions } from './commands/calibrate.js';
import type { ExportOptions } from './commands/export.js';
import type { ExportWebOptions } from './commands/export-web.js';
import type { ExplainCommandOptions } from './commands/explain.js';
import type { InfoOptions } from './commands/info.js';
import type { CompareOptions } from './commands/compare.js';
import type { PredictOptions } from './commands/predict.js';
import type { ServeOptions } from './commands/serve.js';
import type { TrainOptions } from './commands/train.js';
import type { WeightsOptions } from './commands/weights.js';
import { IMAGE_EXTENSIONS } from '../data/names.js';
import { DEMO_DEFAULTS } from './demo-defaults.js';
import { IMAGE_SIZE } from '../models/bounds.js';
import { SERVE_DEFAULTS } from '../serve/options.js';
import { availableParallelism } from 'node:os';

/**
 * Called with each parsed command: its name, its typed options and the function that runs it (returning the
 * exit code, undefined = 0). main() runs it; tests may only inspect the options.
 */
export type Dispatch = (command: string, options: object, run: () => Promise<number | void>) => Promise<void>;

const SPLITS = ['train', 'val', 'test', 'all'] as const;

export function buildProgram(io: CliIO, dispatch: Dispatch): Command {
  const program = new TlearnCommand('tlearn');
  program
    .description('Train image classifiers (binary, multi-class, multi-label) by transfer learning from ImageNet backbones: ResNet, EfficientNet, MobileNetV3, ConvNeXt, RegNet, ViT (libtorch, from TypeScript).')
    .version(packageVersion(), '-V, --version')
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(shortenArguments(text)) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Exit codes: 0 success; 1 the run failed (training diverged, disk full, engine or network error);
  2 bad usage or bad input (options, configuration, data, model or weights files, run folder);
  130 / 143 training stopped by Ctrl-C (SIGINT) / SIGTERM after saving its state (continue with --resume).
${examples([
  'tlearn demo',
  'tlearn train data/ --out runs/cats --epochs1 5 --epochs2 5',
  'tlearn evaluate runs/cats/best_model_final.safetensors data/ --out runs/cats/eval2',
  'tlearn predict runs/cats/best_model_final.safetensors photos/ --csv > predictions.csv',
])}`);

  addTrainOnlyOptions(addModelOptions(
    program.command('train')
      .summary('train a classifier on a folder or CSV of images')
      .description(`Train a classifier (binary, multi-class or multi-label: --task): phase 1 trains the new head on a frozen ImageNet backbone (--arch, default resnet50), phase 2 also unfreezes its last stage (layer4 for ResNet). DATA is DIR/{train,val,test}/<class>/..., DIR/<class>/... (split by --seed), or a CSV path,label[,split] with paths relative to it; DATA may be left out when the --config file gives data.path or data.csv (or with --resume: the run's own). Writes into --out: config.json, manifest.csv, audit.json, history.csv and history.jsonl, best_model_<phase>.safetensors and best_model_final.safetensors (each with a .pth copy for PyTorch unless --checkpoint-format safetensors), eval/ (the test split's evaluation), report.html, and last/, the resume state (a few model-sized files; it stays after the run so that --resume with more epochs can continue it; delete it when no resume is wanted). The checkpoints and last/ together take several times one model file's size (a ResNet50 run: about 700 MB).`)
      .argument('[data]', 'image folder or CSV file (optional: see above)')
      .requiredOption('--out <dir>', 'run directory to create (or continue with --resume)', parse.nonEmpty)
      .option('--config <file>', 'a JSON or YAML run configuration; the flags override it')
      .option('--nproc <n>', 'data-parallel: start N ranks on this machine, each with --batch-size images per step (default 1; torchrun, SLURM and Kubeflow set RANK/WORLD_SIZE themselves)', parse.integer(1, 1024)),
  ))
    .addHelpText('after', examples([
      'tlearn train data/ --out runs/r1',
      'tlearn train labels.csv --out runs/r2 --positive tumour --image-size 320 --batch-size 16',
      'tlearn train data/ --out runs/r3 --config run.yaml --epochs2 0 --set phases[0].optimizer=adamw',
      'tlearn train --out runs/r4 --config run.yaml   # DATA from data.path in run.yaml',
      'tlearn train data/ --out runs/r1 --resume',
    ]))
    .action((data: string | undefined, o: Record<string, any>, cmd: Command) => {
      const options: TrainOptions = {
        data, out: o.out, configFile: o.config, overrides: overridesFrom(o), resume: !!o.resume, json: !!o.json,
        ...(o.nproc !== undefined ? { nproc: o.nproc as number, argv: (cmd.parent as unknown as { rawArgs: string[] }).rawArgs } : {}),
      };
      return dispatch('train', options, async () => (await import('./commands/train.js')).runTrain(options, io));
    });

  addTrainOnlyOptions(addModelOptions(
    program.command('cv')
      .summary('k-fold cross-validation: one run per fold, out-of-fold probabilities, likely label errors')
      .description('Cross-validate the training protocol: the images of train and val (the test split stays out) are cut into --folds stratified folds (seeded by --seed), and one run trains per fold into RUN/fold-K/ (a normal run folder) with that fold as validation. The frozen layers\' outputs are computed once and shared by the folds. Writes RUN/oof.csv (each image\'s probabilities from the fold that held it out), RUN/cv.json (every metric per fold, mean ± sd, a 95 % interval for the AUC), RUN/label_issues.csv (likely label errors by confident learning) and RUN/report.html. Takes train\'s options.')
      .argument('[data]', 'image folder or CSV file (optional with --config data.path or --resume)')
      .requiredOption('--out <dir>', 'folder of the cross-validation (or the one to continue with --resume)', parse.nonEmpty)
      .requiredOption('--folds <k>', 'number of folds', parse.integer(2, 100))
      .option('--config <file>', 'a JSON or YAML run configuration; the flags override it'),
  ))
    .addHelpText('after', examples(['tlearn cv data/ --folds 5 --out runs/cv5', 'tlearn cv data/ --folds 5 --out runs/cv5 --resume']))
    .action((data: string | undefined, o: Record<string, any>) => {
      const options: CvCommandOptions = { data, out: o.out, folds: o.folds, configFile: o.config, overrides: overridesFrom(o), resume: !!o.resume, json: !!o.json };
      return dispatch('cv', options, async () => (await import('./commands/cv.js')).runCv(options, io));
    });

  addTrainOnlyOptions(addModelOptions(
    program.command('lr-find')
      .summary('LR range test of a phase: loss against learning rate, suggested rates')
      .description('The learning-rate range test (Smith 2017) as fastai\'s lr_find and Lightning\'s lr_finder run it: one step per batch with the rate growing exponentially from --start-lr to --end-lr over --steps steps, the loss smoothed (beta 0.98), stopped once it exceeds 4x its best; the weights are restored afterwards. Phase 1 starts from the start weights; phase 2 from phase 1\'s result (--from a run folder that trained it, or its checkpoint). Uses the frozen-prefix cache. Writes lr_find.csv, lr_find.json, lr_find.svg and lr_find.png into --out and prints the suggested rates (steepest descent; fastai\'s valley) and the flag to paste. Takes train\'s options (--resume has no use here).')
      .argument('[data]', 'image folder or CSV file (optional with --config data.path)')
      .requiredOption('--out <dir>', 'folder for the plot and the figures', parse.nonEmpty)
      .option('--phase <n>', 'which phase of the configuration (default 1)', parse.integer(1, 100))
      .option('--from <run|checkpoint>', 'phase 2 and later: the run folder whose best_model_phase<n-1> to start from, or a checkpoint file', parse.nonEmpty)
      .option('--steps <n>', 'steps of the test (default 100)', parse.integer(2, 100000))
      .option('--start-lr <lr>', 'first learning rate (default 1e-7)', parse.positiveNumber)
      .option('--end-lr <lr>', 'learning rate the schedule ends at (default 10)', parse.positiveNumber)
      .option('--config <file>', 'a JSON or YAML run configuration; the flags override it'),
  ))
    .addHelpText('after', examples(['tlearn lr-find data/ --out runs/lr1', 'tlearn lr-find data/ --out runs/lr2 --phase 2 --from runs/r1']))
    .action((data: string | undefined, o: Record<string, any>) => {
      const options: LrFindCommandOptions = {
        data, out: o.out, phase: o.phase ?? 1, configFile: o.config, overrides: overridesFrom(o), json: !!o.json,
        ...(o.from ? { from: o.from } : {}), ...(o.steps ? { steps: o.steps } : {}), ...(o.startLr ? { startLr: o.startLr } : {}), ...(o.endLr ? { endLr: o.endLr } : {}),
      };
      return dispatch('lr-find', options, async () => (await import('./commands/lr-find.js')).runLrFind(options, io));
    });

  addModelFileOptions(
    program.command('evaluate')
      .summary('evaluate a model on a labelled split')
      .description(`Evaluate MODEL (a tlearn checkpoint, or a .pth state_dict saved by the seed's PyTorch code) on a split of DATA. Writes metrics.json, classification_report.txt, predictions.csv, the charts and report.html into --out. --out must not be a training run folder (one with config.json and a history, last/ or best_model_* files) nor a folder of the run's own (eval/, last/, or an existing folder that holds no earlier evaluation): evaluate refuses them (exit 2) so that the run's report, test evaluation and resume state are never replaced; use a new folder such as RUN/eval-<name>. For DATA without split folders (or a CSV without a split column) the split is drawn with the seed and fractions the model was trained with (stored in the checkpoint), unless --seed, --val-fraction or --test-fraction are given.`)
      .argument('<model>', 'checkpoint file (.safetensors or .pth), or an .onnx model (run by onnxruntime-node, without libtorch)')
      .argument('<data>', 'image folder or CSV file')
      .addOption(new Option('--split <split>', 'which split of DATA').choices(SPLITS).default('test'))
      .requiredOption('--out <dir>', 'folder for the evaluation files (not a training run folder: use e.g. RUN/eval-<name>)', parse.nonEmpty)
      .option('--seed <n>', 'seed of the split drawn for DATA without split folders (default: the model\'s training seed)', parse.integer(0, 2 ** 32 - 1))
      .option('--val-fraction <f>', 'val share of that split (default: the model\'s training value)', parse.fraction(false))
      .option('--test-fraction <f>', 'test share of that split (default: the model\'s training value)', parse.fraction(false))
      .option('--json', 'print metrics.json on stdout')
      .addOption(new Option('--tta <mode>', `test-time augmentation: ${TTA_HELP} (metrics.json and the report also give the result without it)`).choices(TTA_MODES)),
  )
    .addHelpText('after', examples([
      'tlearn evaluate runs/r1/best_model_final.safetensors data/ --out runs/r1/eval-again',
      'tlearn evaluate seed_model.pth data/ --split val --out eval/ --classes cat,dog --image-size 224 --json',
    ]))
    .action((model: string, data: string, o: Record<string, any>) => {
      const options: EvaluateOptions = { model, data, split: o.split, out: o.out, threshold: o.threshold, imageSize: o.imageSize, classes: o.classes, resize: o.resize, batchSize: o.batchSize, device: o.device, threads: o.threads, json: !!o.json, ...(o.task ? { task: o.task } : {}), ...(o.tta ? { tta: o.tta } : {}) };
      // The split flags only when given: absent, the model's training values apply.
      for (const k of ['seed', 'valFraction', 'testFraction'] as const) if (o[k] !== undefined) options[k] = o[k];
      return dispatch('evaluate', options, async () => (await import('./commands/evaluate.js')).runEvaluate(options, io));
    });

  addModelReadingOptions(program.command('calibrate')
    .summary('add a calibration temperature and/or conformal prediction sets to a trained model, fitted on a labelled split')
    .description('Fit a calibration temperature (--temperature: on the logits, as train --calibration temperature does; the decision thresholds move with it so that every decision stays the same) and/or conformal prediction sets (--conformal ALPHA, binary and multi-class; on the calibrated probabilities) for MODEL on a labelled split of DATA (default val: images the model was not trained on, like those it will meet), and write a copy of the model with them (--out, .safetensors or .pth); MODEL itself is not changed. They then apply in predict, evaluate, serve, info and the exports, as for a run trained with them. For DATA without split folders the split is drawn as evaluate draws it (the model\'s training seed and fractions).')
    .argument('<model>', 'checkpoint file (.safetensors or .pth): a tlearn model, or a plain PyTorch state_dict with --classes and --image-size')
    .argument('<data>', 'image folder or CSV file with labels')
    .requiredOption('--out <file>', 'the calibrated copy of the model (.safetensors or .pth)', parse.nonEmpty)
    .option('--temperature', 'fit a calibration temperature on the split\'s logits (the thresholds move so that decisions stay the same)')
    .option('--conformal <alpha>', 'conformal sets whose error rate is alpha: they miss the true class at most alpha of the time (0.1: 90 % coverage)', parse.fraction(false))
    .option('--conformal-per-class', 'one threshold per class (class-conditional sets): each class covered 1 - alpha of the time')
    .addOption(new Option('--split <split>', 'which split of DATA to fit on').choices(SPLITS).default('val'))
    .option('--seed <n>', 'seed of the split drawn for DATA without split folders (default: the model\'s training seed)', parse.integer(0, 2 ** 32 - 1))
    .option('--val-fraction <f>', 'val share of that split (default: the model\'s training value)', parse.fraction(false))
    .option('--test-fraction <f>', 'test share of that split (default: the model\'s training value)', parse.fraction(false))
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the fit and its coverage on the split as JSON'))
    .addHelpText('after', examples([
      'tlearn calibrate runs/r1/best_model_final.safetensors data/ --conformal 0.1 --out runs/r1/model_with_sets.safetensors',
      'tlearn calibrate runs/r1/best_model_final.safetensors data/ --temperature --conformal 0.1 --out runs/r1/calibrated.safetensors',
      'tlearn calibrate seed_model.pth data/ --classes cat,dog --image-size 224 --conformal 0.05 --conformal-per-class --out calibrated.safetensors',
    ]))
    .action((model: string, data: string, o: Record<string, any>) => {
      const options: CalibrateCommandOptions = {
        model, data, out: o.out, split: o.split, conformal: o.conformal, perClass: !!o.conformalPerClass, temperature: !!o.temperature, force: !!o.force, json: !!o.json,
        imageSize: o.imageSize, classes: o.classes, resize: o.resize, batchSize: o.batchSize, device: o.device, threads: o.threads, ...(o.task ? { task: o.task } : {}),
      };
      for (const k of ['seed', 'valFraction', 'testFraction'] as const) if (o[k] !== undefined) options[k] = o[k];
      return dispatch('calibrate', options, async () => (await import('./commands/calibrate.js')).runCalibrate(options, io));
    });

  addModelFileOptions(
    program.command('predict')
      .summary('predict images or folders of images')
      .description(`Predict the class of each image. Folders are searched recursively for image files (${[...IMAGE_EXTENSIONS].join(', ')}). Unreadable and missing files are reported as rows (JSON: {path, error}) and, with --json/--csv or when nothing could be predicted, on stderr; the exit code is 1 only when no file could be predicted (2 when no input exists).`)
      .argument('<model>', 'checkpoint file (.safetensors or .pth), or an .onnx model (run by onnxruntime-node, without libtorch)')
      .argument('<inputs...>', 'image files or folders')
      .addOption(new Option('--json', 'print a JSON array of {path, probability, predicted, label} (multiclass: also probabilities per class; multilabel: {path, labels, probabilities})').conflicts('csv'))
      .addOption(new Option('--csv', 'print CSV: path,probability,predicted,label (multiclass/multilabel: one column per class)').conflicts('json'))
      .option('--top-k <k>', 'multiclass: also list the k most probable classes of each image (JSON top_k)', parse.integer(1, 10000))
      .addOption(new Option('--tta <mode>', `test-time augmentation: ${TTA_HELP}`).choices(TTA_MODES)),
  )
    .addHelpText('after', examples([
      'tlearn predict model.safetensors photo1.jpg photo2.png',
      'tlearn predict model.safetensors photos/ --json --threshold 0.3',
      'tlearn predict seed_model.pth photos/ --classes cat,dog --csv > out.csv',
      'tlearn predict model.onnx photos/ --json',
    ]))
    .action((model: string, inputs: string[], o: Record<string, any>) => {
      const options: PredictOptions = { model, inputs, threshold: o.threshold, imageSize: o.imageSize, classes: o.classes, resize: o.resize, batchSize: o.batchSize, device: o.device, threads: o.threads, format: o.json ? 'json' : o.csv ? 'csv' : 'table', ...(o.task ? { task: o.task } : {}), ...(o.topK === undefined ? {} : { topK: o.topK }), ...(o.tta ? { tta: o.tta } : {}) };
      return dispatch('predict', options, async () => (await import('./commands/predict.js')).runPredict(options, io));
    });

  addModelFileOptions(
    program.command('explain')
      .summary('Grad-CAM heatmaps: where in each image the model looked')
      .description('For each image, the Grad-CAM map of a class (--class, else the predicted class) at a stage of the network (--layer): the gradients of the class\'s logit (a binary model\'s negative class: the negated logit) with respect to the stage\'s output, averaged per channel, weight the channels; the ReLU of their sum is upsampled bilinearly to the input size and scaled to [0, 1] per image. Writes OUT/<name>.gradcam.png (the map over the image as the model sees it, with a colour bar) and OUT/<name>.gradcam.json (the map\'s values, rows of the input size).')
      .argument('<model>', 'checkpoint file (.safetensors or .pth)')
      .argument('<inputs...>', 'image files or folders')
      .requiredOption('--out <dir>', 'folder for the overlays and maps', parse.nonEmpty)
      .option('--layer <stage>', "the stage whose output is explained (default: the model's last feature map before its pooling, layer4 for a ResNet)", parse.nonEmpty)
      .option('--class <name>', 'the class to explain (default: each image\'s predicted class)', parse.nonEmpty)
      .option('--json', 'print a JSON array of {path, class, probability, overlay, map}'),
  )
    .addHelpText('after', examples([
      'tlearn explain runs/cats/best_model_final.safetensors photos/ --out runs/cats/gradcam',
      'tlearn explain model.safetensors scan.png --out cam --layer layer3 --class tumour',
    ]))
    .action((model: string, inputs: string[], o: Record<string, any>) => {
      const options: ExplainCommandOptions = {
        model, inputs, out: o.out, layer: o.layer, className: o.class, threshold: o.threshold, imageSize: o.imageSize, classes: o.classes, resize: o.resize,
        batchSize: o.batchSize, device: o.device, threads: o.threads, json: !!o.json, ...(o.task ? { task: o.task } : {}),
      };
      return dispatch('explain', options, async () => (await import('./commands/explain.js')).runExplain(options, io));
    });

  program.command('serve')
    .summary('answer predictions over HTTP (dynamic batching, limits, metrics)')
    .description(`Serve MODEL (a tlearn checkpoint, a .pth state_dict saved by the seed's PyTorch code, or an .onnx file, run by onnxruntime-node without libtorch) over HTTP: POST /v1/predict (multipart files, a raw image body, or JSON {"images": [base64...]}) and POST /v1/models/<name>:predict (KServe V1 {"instances": [{"b64": ...}]}) answer {"predictions": [...]} as predict --json does; GET /v1/models/<name>, /healthz, /readyz, /metrics (Prometheus). Concurrent requests are batched (--max-batch, --max-wait-ms); a full queue answers 503 with Retry-After. Listens on 127.0.0.1 unless --host says otherwise. SIGTERM or Ctrl-C finish the requests in flight (up to --drain-timeout-s) and exit 0; startup errors exit 2.`)
    .argument('<model>', 'checkpoint file (.safetensors or .pth) or .onnx file')
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)', parse.nonEmpty)
    .option('--port <n>', 'port (default 8080; 0 = any free port)', parse.integer(0, 65535))
    .option('--max-batch <n>', 'images per forward pass at most (default 32)', parse.integer(1, 4096))
    .option('--max-wait-ms <ms>', 'how long an image waits for others to fill a batch (default 5)', parse.integer(0, 60000))
    .option('--max-queue <n>', 'images admitted at once; beyond: 503 with Retry-After (default 256)', parse.integer(1, 1_000_000))
    .option('--max-images <n>', 'images per request at most; beyond: 413 (default 64, at most --max-queue)', parse.integer(1, 1_000_000))
    .option('--max-body-mb <mb>', 'request body size at most; beyond: 413 (default 20)', parse.positiveNumber)
    .option('--max-megapixels <mp>', 'images declaring more pixels are refused from their header, before decoding: 422 (default 50)', parse.positiveNumber)
    .addOption(new Option('--engine <engine>', 'inference engine: libtorch for a checkpoint, onnx (onnxruntime-node) for an .onnx file (default: from the file)').choices(['libtorch', 'onnx']))
    .option('--api-key-file <file>', 'require Authorization: Bearer <the first line of FILE> on every route but /healthz and /readyz', parse.nonEmpty)
    .option('--cors <origin>', 'allow browsers on this origin (or *) to call the API (default: no CORS headers)', parse.nonEmpty)
    .option('--name <name>', 'the model\'s name in /v1/models/<name> (default: the file name without extension)', parse.nonEmpty)
    .option('--threads <n>', 'CPU threads of the model, 0 = all cores (default 0)', parse.integer(0, 4096))
    .option('--request-timeout-s <s>', 'a client must send its whole request within this time (default 30; headers within 10)', parse.integer(1, 3600))
    .option('--drain-timeout-s <s>', 'on SIGTERM/SIGINT, how long requests in flight may take to finish (default 30)', parse.integer(0, 3600))
    .option('--threshold <t>', 'decision threshold (default: the one stored with the model, else 0.5)', parse.fraction(true))
    .option('--image-size <px>', 'input size for a model file without tlearn metadata (default 224)', parse.integer(IMAGE_SIZE.min, IMAGE_SIZE.max))
    .option('--classes <names>', 'class names for a model file without tlearn metadata (as predict)', parse.classes)
    .addOption(new Option('--task <task>', 'the task of a model file without tlearn metadata with several outputs (default multiclass)').choices(['binary', 'multiclass', 'multilabel']))
    .addOption(new Option('--resize <mode>', 'resize for a model file without tlearn metadata (default squash)').choices(RESIZE_MODES))
    .addOption(new Option('--tta <mode>', `test-time augmentation: ${TTA_HELP} (a forward pass per view: 2 or 8 per image)`).choices(TTA_MODES))
    .addHelpText('after', examples([
      'tlearn serve runs/cats/best_model_final.safetensors',
      'curl -F image=@photo.jpg http://127.0.0.1:8080/v1/predict',
      'tlearn serve model.safetensors --host 0.0.0.0 --port 9000 --api-key-file key.txt --max-batch 16',
      'tlearn serve model.onnx --threads 2',
    ]))
    .action((model: string, o: Record<string, any>) => {
      const d = SERVE_DEFAULTS;
      const maxQueue = o.maxQueue ?? d.maxQueue;
      const options: ServeOptions = {
        model, engine: o.engine ?? (/\.onnx$/i.test(model) ? 'onnx' : 'libtorch'), host: o.host ?? d.host, port: o.port ?? d.port, maxBatch: o.maxBatch ?? d.maxBatch,
        maxWaitMs: o.maxWaitMs ?? d.maxWaitMs, maxQueue, maxImages: o.maxImages ?? Math.min(d.maxImages, maxQueue),
        maxBodyMb: o.maxBodyMb ?? d.maxBodyMb, maxMegapixels: o.maxMegapixels ?? d.maxMegapixels, decodeConcurrency: availableParallelism(),
        headersTimeoutS: Math.min(d.headersTimeoutS, o.requestTimeoutS ?? d.requestTimeoutS), requestTimeoutS: o.requestTimeoutS ?? d.requestTimeoutS,
        drainTimeoutS: o.drainTimeoutS ?? d.drainTimeoutS,
        ...(o.apiKeyFile === undefined ? {} : { apiKeyFile: o.apiKeyFile }), ...(o.cors === undefined ? {} : { cors: o.cors }),
        ...(o.name === undefined ? {} : { name: o.name }), ...(o.threads ? { threads: o.threads } : {}),
        ...(o.threshold === undefined ? {} : { threshold: o.threshold }), ...(o.imageSize === undefined ? {} : { imageSize: o.imageSize }),
        ...(o.classes ? { classes: o.classes } : {}), ...(o.task ? { task: o.task } : {}), ...(o.resize ? { resize: o.resize } : {}),
        ...(o.tta ? { tta: o.tta } : {}),
      };
      return dispatch('serve', options, async () => (await import('./commands/serve.js')).runServe(options, io));
    });

  program.command('export')
    .summary('convert a model to safetensors, PyTorch .pth or ONNX')
    .description(`Write MODEL in another format, with its metadata. A .pth written here loads in PyTorch with torch.load(path, weights_only=True) and load_state_dict(strict=True). The format follows the --out extension: .safetensors for safetensors; .pth, .pt or .bin for pth (--format, if given, must agree); .onnx for onnx: a graph for onnxruntime (probabilities out, a dynamic batch), checked before it is kept: it is run with onnxruntime-node on the run's own test images (RUN/manifest.csv beside MODEL; the first 256), or on --check FILES, or, with neither, on random pixels, and compared with libtorch's probabilities; the figures go to OUT.json, and a graph that differs by more than 1e-4 or changes a decision is not kept (exit 1). For a .pth state_dict without tlearn metadata (the seed's PyTorch code), give both --classes and --image-size (or neither): they are stored in the exported file, as evaluate and predict would use them.`)
    .argument('<model>', 'checkpoint file (.safetensors or .pth)')
    .addOption(new Option('--format <format>', 'output format (default: from the --out extension); web: a folder with a browser page that runs the model (see README)').choices(['safetensors', 'pth', 'onnx', 'web']))
    .requiredOption('--out <file>', 'file to write (.safetensors; .pth, .pt or .bin; .onnx), or the folder for --format web; an existing file is refused without --force', parse.nonEmpty)
    .option('--classes <neg,pos>', 'class names to store for a model file without tlearn metadata (with --image-size)', parse.classes)
    .option('--image-size <px>', 'input size to store for a model file without tlearn metadata (with --classes)', parse.integer(IMAGE_SIZE.min, IMAGE_SIZE.max))
    .addOption(new Option('--resize <mode>', 'resize to store for a model file without tlearn metadata (with --classes and --image-size; default squash)').choices(RESIZE_MODES))
    .addOption(new Option('--input <layout>', 'onnx: the graph\'s input: float (normalised float32 NCHW, as in PyTorch) or uint8 (raw RGB pixels NHWC of the image size; Cast, /255 and mean/std in the graph) (default float)').choices(['float', 'uint8']))
    .option('--check <files...>', 'onnx: images (files or folders) to check the graph on, instead of the run\'s test split')
    .option('--no-check', 'onnx: write the graph without the parity check (with a warning)')
    .addOption(new Option('--tta <mode>', `web: the page answers as predict --tta MODE: ${TTA_HELP} (a model file or an .onnx graph takes --tta where it is used: predict, evaluate, serve)`).choices(TTA_MODES))
    .option('--force', 'replace --out (and an onnx export\'s OUT.json) if it exists')
    .addHelpText('after', examples([
      'tlearn export runs/r1/best_model_final.safetensors --out model.pth',
      'tlearn export seed_model.pth --out model.safetensors --classes cat,dog --image-size 224',
      'tlearn export runs/r1/best_model_final.safetensors --out model.onnx',
      'tlearn export runs/r1/best_model_final.safetensors --out web.onnx --input uint8 --check photos/',
      'tlearn export runs/r1/best_model_final.safetensors --format web --out page/',
      'tlearn export runs/r1/best_model_final.safetensors --format web --out page/ --tta flip',
    ]))
    .action((model: string, o: Record<string, any>, cmd: Command) => {
      const options: ExportOptions = { model, out: o.out };
      if (o.format) options.format = o.format;
      if (o.classes) options.classes = o.classes;
      if (o.imageSize !== undefined) options.imageSize = o.imageSize;
      if (o.resize) options.resize = o.resize;
      if (o.force) options.force = true;
      if (o.tta) options.tta = o.tta;
      // commander keeps the last of --check FILES and --no-check; both given is a contradiction, said as such.
      const raw = ((cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? []);
      const end = raw.indexOf('--');
      const given = (flag: string) => (end < 0 ? raw : raw.slice(0, end)).some((a) => a === flag || a.startsWith(`${flag}=`));
      const onnx: ExportOptions['onnx'] = {
        input: o.input, check: given('--check') ? (Array.isArray(o.check) ? o.check : []) : undefined, noCheck: given('--no-check') || undefined,
      };
      if (o.format === 'web') {
        const web: ExportWebOptions = { model, out: o.out, ...(o.force ? { force: true } : {}), ...(o.classes ? { classes: o.classes } : {}),
          ...(o.imageSize !== undefined ? { imageSize: o.imageSize } : {}), ...(o.resize ? { resize: o.resize } : {}),
          ...(onnx.check ? { check: onnx.check } : {}), ...(onnx.noCheck ? { noCheck: true } : {}), ...(onnx.input !== undefined ? { input: onnx.input } : {}),
          ...(o.tta ? { tta: o.tta } : {}) };
        return dispatch('export', web, async () => (await import('./commands/export-web.js')).runExportWeb(web, io));
      }
      if (Object.values(onnx).some((v) => v !== undefined)) options.onnx = onnx;
      return dispatch('export', options, async () => (await import('./commands/export.js')).runExport(options, io));
    });

  program.command('info')
    .summary('what a model file holds: architecture, task, classes, input, threshold, metrics, SHA-256, PyTorch code')
    .description('Describe a model file before using or shipping it: the architecture and its parameters, the task and classes, the input it expects (size, resize, mean and std), the decision threshold(s) and calibration, the phase, epoch, starting weights and validation metrics it was saved with, the tlearn version and time that wrote it, the file\'s size and SHA-256, and the PyTorch code that rebuilds the network and loads the file strictly. MODEL is a .safetensors or .pth file (tlearn\'s, or a plain state_dict: what evaluate and predict would assume for it is said) or an .onnx graph.')
    .argument('<model>', 'model file (.safetensors, .pth or .onnx)')
    .option('--json', 'print the description as JSON')
    .addHelpText('after', examples(['tlearn info runs/r1/best_model_final.safetensors', 'tlearn info model.onnx --json']))
    .action((model: string, o: Record<string, any>) => {
      const options: InfoOptions = { model, json: !!o.json };
      return dispatch('info', options, async () => (await import('./commands/info.js')).runInfo(options, io));
    });

  program.command('compare')
    .summary('is model B better than A? paired tests of two AUCs (DeLong; a bootstrap for macro AUCs) and of two accuracies (McNemar) on the same images')
    .description('Compare two evaluations of the same images: A and B are evaluation folders (evaluate\'s --out) or training run folders (their eval/, the test split), of the same task. The images are paired by path (each must be in both, with the same label). Prints both accuracies (at each binary model\'s own threshold; multi-label: subset accuracies) with McNemar\'s exact test (only the images one model gets right and the other wrong count) and, for binary models, both AUCs, their difference with its 95 % interval and DeLong\'s paired z test (the images are the same, so the AUCs\' covariance counts); for multi-class and multi-label ones, the macro AUCs of predictions.csv\'s probabilities with pROC\'s paired bootstrap test (2000 resamples; fewer on very large evaluations). Reads metrics.json and predictions.csv only.')
    .argument('<a>', 'evaluation or run folder of model A')
    .argument('<b>', 'evaluation or run folder of model B')
    .option('--json', 'print the comparison as JSON')
    .addHelpText('after', examples([
      'tlearn compare runs/resnet50 runs/convnext   (both runs\' test-split evaluations)',
      'tlearn evaluate a.safetensors data/ --out eval-a && tlearn evaluate b.safetensors data/ --out eval-b && tlearn compare eval-a eval-b',
    ]))
    .action((a: string, b: string, o: Record<string, any>) => {
      const options: CompareOptions = { a, b, json: !!o.json };
      return dispatch('compare', options, async () => (await import('./commands/compare.js')).runCompare(options, io));
    });

  const weights = program.command('weights')
    .summary('list, download or locate pretrained weights')
    .description('Pretrained ImageNet weights (torchvision\'s files), downloaded once into the cache (TLEARN_HOME, else $XDG_CACHE_HOME/tlearn, else ~/.cache/tlearn) and verified by the SHA-256 prefix in their names.')
    .addHelpText('after', examples(['tlearn weights list', 'tlearn weights fetch imagenet', 'tlearn weights path imagenet']));
  weights.command('list')
    .description('list the known weights and whether each is in the cache')
    .option('--json', 'print a JSON array')
    .addHelpText('after', examples(['tlearn weights list', 'tlearn weights list --json']))
    .action((o: Record<string, any>) => {
      const options: WeightsOptions = { action: 'list', json: !!o.json };
      return dispatch('weights list', options, async () => (await import('./commands/weights.js')).runWeights(options, io));
    });
  weights.command('fetch')
    .description('download weights into the cache (verified by their SHA-256 prefix)')
    .argument('<name>', 'a name from `tlearn weights list`')
    .option('--json', 'print {name, path} as JSON')
    .addHelpText('after', examples(['tlearn weights fetch imagenet', 'tlearn weights fetch resnet18']))
    .action((name: string, o: Record<string, any>) => {
      const options: WeightsOptions = { action: 'fetch', name, json: !!o.json };
      return dispatch('weights fetch', options, async () => (await import('./commands/weights.js')).runWeights(options, io));
    });
  weights.command('path')
    .description('print where the weights file is (or would be) cached')
    .argument('<name>', 'a name from `tlearn weights list`')
    .option('--json', 'print {name, path, cached} as JSON')
    .addHelpText('after', examples(['tlearn weights path imagenet']))
    .action((name: string, o: Record<string, any>) => {
      const options: WeightsOptions = { action: 'path', name, json: !!o.json };
      return dispatch('weights path', options, async () => (await import('./commands/weights.js')).runWeights(options, io));
    });

  addModelOptions(
    program.command('demo')
      .summary('train on the embedded demo dataset (Fashion-MNIST sneaker vs ankle boot)')
      .description(`Train on the small dataset shipped with tlearn (Fashion-MNIST sneakers vs ankle boots, 400 train / 100 val / 200 test images, MIT licence, (c) Zalando SE), with short phases (--epochs1 ${DEMO_DEFAULTS.epochs1} --epochs2 ${DEMO_DEFAULTS.epochs2}) and --image-size ${DEMO_DEFAULTS.imageSize} unless given. Uses the ImageNet weights, downloading them once if they are not cached; without network access it says so and starts from random weights (as --weights none does), which trains, but to a weaker model.`)
      .option('--out <dir>', 'run directory (default ./tlearn-demo)', parse.nonEmpty)
      .addOption(new Option('--task <task>', 'binary: sneaker vs ankle boot; multiclass: trouser, sneaker, bag, ankle boot (600 train / 160 val / 300 test images) (default binary)').choices(['binary', 'multiclass'])),
    DEMO_DEFAULTS,
  )
    .addHelpText('after', examples(['tlearn demo', 'tlearn demo --task multiclass', 'tlearn demo --out /tmp/demo --epochs1 1 --epochs2 1 --weights none']))
    .action((o: Record<string, any>) => {
      const options: DemoOptions = { out: o.out, overrides: overridesFrom(o), json: !!o.json, ...(o.task ? { task: o.task } : {}) };
      return dispatch('demo', options, async () => (await import('./commands/demo.js')).runDemo(options, io));
    });

  program.command('doctor')
    .description('check the installation: Node, libtorch addon, threads, CUDA, sharp, cached weights, demo data')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', examples(['tlearn doctor', 'tlearn doctor --json']))
    .action((o: Record<string, any>) => {
      const options: DoctorOptions = { json: !!o.json };
      return dispatch('doctor', options, async () => (await import('./commands/doctor.js')).runDoctor(options, io));
    });

  return program;
}
