// One harness for the zoo's module parity tests (issue 21): Python builds a torch module, gives it non-trivial
// state (random BatchNorm statistics, LayerNorm affines, layer scales), and writes its state_dict, an input, the
// eval-mode output (under no_grad and with grad recorded: nn.MultiheadAttention takes different paths), the
// train-mode output with its gradients for a fixed random loss, and the state after one SGD step (BatchNorm's
// running statistics included). tlearn builds the same module, loads the state_dict strictly and must give the
// same keys in the same order and the same numbers: max |ours - theirs| ≤ 1e-5 · max |theirs| per tensor.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../../src/torch/index.js';
import type { Module } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';
import { readSafetensors } from '../../src/io/index.js';
import { recordsToTensors } from '../../src/models/index.js';
import { runPython } from './python.js';
import { PY_SAFETENSORS } from './py-safetensors.js';
import { tempDir } from './temp.js';

export const PY_PARITY_PRELUDE = String.raw`
import torch, torchvision, struct, collections
from torch import nn
` + PY_SAFETENSORS + String.raw`
torch.set_num_threads(2)
def randomize_state(model, seed=123):
    # Non-trivial normalisation statistics/affines and layer scales, so that every parameter matters.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(n, generator=g) * 0.1)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        for name, p in model.named_parameters():
            if name.endswith('layer_scale'):
                p.copy_(torch.rand(p.shape, generator=g) * 0.5 + 0.25)
            elif name.endswith('bias') and p.abs().max() == 0:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            elif p.abs().max() == 0:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
`;

export interface PyCase {
  /** Python statements that leave the torch module in `m` (torch, torchvision, nn imported). */
  pyBuild: string;
  /** Input shape ([N, 3, H, W] for a network). */
  inputShape: number[];
  /** Seed of the train-mode forward (stochastic depth and dropout draw from it on both sides). */
  trainSeed?: number;
}

/** max |a - e| ≤ rtol · max |e| (and the shapes equal). */
export function assertRelClose(actual: torch.Tensor, expected: torch.Tensor, what: string, rtol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.toArray();
  const e = expected.toArray();
  let scale = 0;
  let diff = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    scale = Math.max(scale, Math.abs(e[i]));
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= diff)) {
      diff = d;
      at = i;
    }
  }
  assert.ok(diff <= rtol * scale || (scale === 0 && diff === 0),
    `${what}: max |diff| ${diff} at ${at} (got ${a[at]}, expected ${e[at]}) exceeds ${rtol} · max |expected| ${scale}`);
}

const PY_ORACLE = PY_PARITY_PRELUDE + String.raw`
_case_keys = {}
for name, c in inp['cases'].items():
    torch.manual_seed(0)
    ns = {'torch': torch, 'torchvision': torchvision, 'nn': nn}
    exec(c['pyBuild'], ns)
    m = ns['m']
    randomize_state(m)
    d = inp['dir'] + '/' + name
    g = torch.Generator().manual_seed(5)
    x = torch.randn(c['inputShape'], generator=g)
    st_write(d + '.sd.safetensors', m.state_dict())
    m.eval()
    with torch.no_grad():
        y_nograd = m(x)
    y_eval = m(x)
    m.train()
    torch.manual_seed(c.get('trainSeed', 7))
    y_train = m(x)
    r = torch.randn(y_train.shape, generator=g)
    (y_train * r).sum().backward()
    grads = {'grad.' + k: p.grad for k, p in m.named_parameters() if p.grad is not None}
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, foreach=False)
    opt.step()
    st_write(d + '.io.safetensors', {'x': x, 'r': r, 'y_nograd': y_nograd, 'y_eval': y_eval.detach(), 'y_train': y_train.detach(), **grads})
    st_write(d + '.after.safetensors', m.state_dict())
    _case_keys[name] = list(m.state_dict().keys())
extra = None
def out(o):
    global extra
    extra = o
inp, cases_inp = inp['extraInput'], inp
exec(cases_inp['extraCode'], globals())
_outs.append({'keys': _case_keys, 'extra': extra})
`;

export interface ParityOracle<K extends string> {
  /** Builds the tlearn module and checks it against the torch run of case `name`; returns torch's state_dict keys. */
  check(name: K, build: () => Module, rtol?: number): string[];
  /** What the extra Python code passed to out() (run in the same process, after the cases; `inp` is extraInput). */
  extra<T>(): T;
}

/**
 * Runs the torch side of several cases in one Python process (importing torch takes seconds), with optional extra
 * Python code for the test file's other questions, lazily on first use. Files go to a temp folder removed at exit.
 */
export function parityOracle<K extends string>(cases: Record<K, PyCase>, extraCode = '', extraInput: unknown = null): ParityOracle<K> {
  const dir = tempDir('tlearn-parity-');
  let result: { keys: Record<string, string[]>; extra: unknown } | undefined;
  const run = (): { keys: Record<string, string[]>; extra: unknown } => {
    result ??= runPython(PY_ORACLE, { dir, cases, extraCode, extraInput });
    return result!;
  };
  return {
    check(name, build, rtol = 1e-5) {
      const { keys } = run();
      checkParity(path.join(dir, name), keys[name], build(), cases[name].trainSeed ?? 7, rtol);
      return keys[name];
    },
    extra: <T>() => run().extra as T,
  };
}

function checkParity(base: string, keys: string[], m: Module, trainSeed: number, rtol: number): void {
  const read = (f: string): Map<string, torch.Tensor> => recordsToTensors(readSafetensors(`${base}.${f}.safetensors`).tensors);
  const sd = read('sd');
  const io = read('io');
  const after = read('after');
  try {
    assert.deepEqual([...m.stateDict({ keepVars: true }).keys()], keys, 'state_dict keys and order');
    m.loadStateDict(sd);
    const x = io.get('x')!;
    m.eval();
    torch.scope(() => {
      assertRelClose(torch.noGrad(() => m.forward(x)), io.get('y_nograd')!, 'eval output under no_grad', rtol);
      assertRelClose(m.forward(x).detach(), io.get('y_eval')!, 'eval output with grad recorded', rtol);
    });
    m.train();
    torch.manualSeed(trainSeed);
    const params = m.namedParameters();
    const opt = new SGD(params.map(([, p]) => p), { lr: 0.1, momentum: 0.9 });
    torch.scope(() => {
      const y = m.forward(x);
      assertRelClose(y.detach(), io.get('y_train')!, 'train output', rtol);
      y.mul(io.get('r')!).sum().backward();
      for (const [k, p] of params) {
        const want = io.get(`grad.${k}`);
        if (want) assertRelClose(p.grad!, want, `gradient of ${k}`, rtol);
        else assert.equal(p.grad, undefined, `${k} has a gradient, torch has none`);
      }
      opt.step();
    });
    const now = m.stateDict();
    for (const [k, t] of after) assertRelClose(now.get(k)!, t, `${k} after one SGD step`, rtol);
    torch.dispose(now);
  } finally {
    m.dispose();
    torch.dispose(sd);
    torch.dispose(io);
    torch.dispose(after);
  }
}

/** Python lines that make torchvision constructors skip their weight initialisation (for keys-and-shapes checks
 *  of the big variants: ConvNeXt's trunc_normal_ over 50 M weights takes seconds). Runs inside a function body or
 *  at top level; restores nothing (use it in a process that builds no model whose weights matter afterwards). */
export const PY_NO_INIT = String.raw`
import torch.nn.init as _init
for _f in ['trunc_normal_', 'normal_', 'kaiming_normal_', 'kaiming_uniform_', 'xavier_uniform_', 'uniform_', 'zeros_', 'ones_', 'constant_']:
    setattr(_init, _f, lambda t, *a, **k: t)
torch.nn.Linear.reset_parameters = lambda self: None
torch.nn.modules.conv._ConvNd.reset_parameters = lambda self: None
`;
