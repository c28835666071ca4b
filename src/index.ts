// The package entry point (`import * as tlearn from 'tlearn'`): one namespace per layer, lowest first, the
// same areas as the folders of src/ (docs/ARCHITECTURE.md says what each may depend on). Each layer is
// also importable on its own, e.g. `import { scope, randn } from 'tlearn/torch'`.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as report from './report/index.js';
export * as eval from './eval/index.js';
export * as train from './train/index.js';
export * as cli from './cli/index.js';
