// The package entry point (`import * as tlearn from 'tlearn'`): one namespace per layer, lowest first, the
// same areas as the folders of src/ (docs/ARCHITECTURE.md says what each may depend on). Each layer is
// also importable on its own, e.g. `import { scope, randn } from 'tlearn/torch'`.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as distributed from './distributed/index.js';
export * as io from './io/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as report from './report/index.js';
// The evaluation layer (src/eval) is `evaluation`: `import { eval } from 'tlearn'` cannot work, since strict-mode
// code may not bind the name eval. It stays reachable as `tlearn.eval` too. Written as import + export rather
// than `export * as eval`, which tsx/esbuild turns into an `import * as eval` binding (a SyntaxError from source).
import * as evaluation from './eval/index.js';
export { evaluation, evaluation as eval };
export * as train from './train/index.js';
export * as cli from './cli/index.js';
