// Module bookkeeping against torch.nn.Module: names and orders of parameters, buffers, modules and the state
// dict; default initialisation (bit-identical with the same seed); loadStateDict's checks; freezing by name
// prefix; train/eval; to(dtype); dispose; containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, ones, zeros, empty, scope, tensor, type Tensor } from '../src/torch/index.js';
import {
  Module, Conv2d, BatchNorm2d, Linear, Dropout, ReLU, Flatten, AdaptiveAvgPool2d, Sequential, ModuleList, Identity, init,
} from '../src/nn/index.js';
import { runPython } from './helpers/python.js';

class Block extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(c: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(c, c, 3, { padding: 1, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(c));
    this.registerBuffer('scale', ones([1]), false);
  }
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x)).relu();
  }
}

class Net extends Module {
  readonly stem: Conv2d;
  readonly layer1: Sequential;
  readonly layer10: Sequential;
  readonly head: Sequential;
  constructor() {
    super();
    this.registerParameter('alpha', ones([2]));
    this.stem = this.registerModule('stem', new Conv2d(3, 4, 3));
    this.layer1 = this.registerModule('layer1', new Sequential(new Block(4), new Block(4)));
    this.layer10 = this.registerModule('layer10', new Sequential(new Block(4)));
    this.head = this.registerModule('head', new Sequential(new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.2), new Linear(4, 1)));
    this.registerBuffer('temp', zeros([3]));
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.layer10.forward(this.layer1.forward(this.stem.forward(x))));
  }
}

const TORCH_NET = `
import torch
from torch import nn
class Block(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        s.bn = nn.BatchNorm2d(c)
        s.register_buffer('scale', torch.ones(1), persistent=False)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.alpha = nn.Parameter(torch.ones(2))
        s.stem = nn.Conv2d(3, 4, 3)
        s.layer1 = nn.Sequential(Block(4), Block(4))
        s.layer10 = nn.Sequential(Block(4))
        s.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(4, 1))
        s.register_buffer('temp', torch.zeros(3))
`;

function makeNet(seed = 0): Net {
  manualSeed(seed);
  return new Net();
}

test('names and orders equal torch; default initialisation is bit-identical for the same seed', () => {
  const py = runPython<{ init: Record<string, number[]>; sd: Record<string, number[]>; params: string[]; buffers: string[]; modules: string[]; dtypes: Record<string, string> }>(
    TORCH_NET + `
torch.manual_seed(5)
net = Net()
sd = net.state_dict()
torch.manual_seed(7)
w = torch.empty(8, 4, 3, 3); nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')
ku = torch.empty(3, 7); nn.init.kaiming_uniform_(ku, a=0.1, mode='fan_out')
xu = torch.empty(5, 6); nn.init.xavier_uniform_(xu, gain=2.0)
init = {'kn': w.double().flatten().tolist(), 'ku': ku.double().flatten().tolist(), 'xu': xu.double().flatten().tolist(),
        'gains': [nn.init.calculate_gain(n, p) for n, p in [('relu', None), ('tanh', None), ('leaky_relu', None), ('leaky_relu', 0.2), ('selu', None), ('sigmoid', None)]]}
out({'init': init, 'sd': {k: v.double().flatten().tolist() for k, v in sd.items()}, 'dtypes': {k: str(v.dtype) for k, v in sd.items()},
     'params': [n for n, _ in net.named_parameters()], 'buffers': [n for n, _ in net.named_buffers()],
     'modules': [n for n, _ in net.named_modules()]})
`);
  const net = makeNet(5);
  scope(() => {
    const sd = net.stateDict();
    assert.deepEqual([...sd.keys()], Object.keys(py.sd), 'stateDict keys and order');
    for (const [k, t] of sd) {
      assert.deepEqual(t.toArray(), py.sd[k], `value of ${k}`);
      assert.equal(`torch.${t.dtype}`, py.dtypes[k], `dtype of ${k}`);
    }
  });
  assert.deepEqual(net.namedParameters().map(([n]) => n), py.params);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), py.buffers);
  assert.deepEqual([...net.namedModules()].map(([n]) => n), py.modules);
  assert.equal(net.getSubmodule('layer1.1.bn'), (net.layer1.at(1) as Block).bn);
  assert.throws(() => net.getSubmodule('layer1.7'), /Sequential has no child '7'/);
  assert.equal(net.countParameters(), net.parameters().reduce((n, p) => n + p.numel, 0));
  net.freeze('stem');
  assert.equal(net.countParameters(true), net.countParameters() - 4 * 3 * 3 * 3 - 4);
  net.dispose();

  // init functions draw the same numbers as torch.nn.init after the same seed.
  manualSeed(7);
  scope(() => {
    assert.deepEqual(init.kaimingNormal_(empty([8, 4, 3, 3]), { mode: 'fan_out', nonlinearity: 'relu' }).toArray(), py.init.kn);
    assert.deepEqual(init.kaimingUniform_(empty([3, 7]), { a: 0.1, mode: 'fan_out' }).toArray(), py.init.ku);
    assert.deepEqual(init.xavierUniform_(empty([5, 6]), 2).toArray(), py.init.xu);
  });
  const gains = ([['relu'], ['tanh'], ['leaky_relu'], ['leaky_relu', 0.2], ['selu'], ['sigmoid']] as const).map(([n, p]) => init.calculateGain(n, p));
  assert.deepEqual(gains, py.init.gains);
  assert.throws(() => scope(() => init.kaimingUniform_(empty([3]))), /2 or more dimensions, got shape \[3\]/);
});

test('loadStateDict: round trip, and strict errors name missing, unexpected and mismatched keys', () => {
  const a = makeNet(1);
  const b = makeNet(2);
  scope(() => {
    b.loadStateDict(a.stateDict());
    const sa = a.stateDict();
    for (const [k, t] of b.stateDict()) assert.ok(t.equal(sa.get(k)!), `${k} copied`);
  });

  const c = makeNet(3);
  scope(() => {
    const before = c.stem.weight.clone();
    const sd = a.stateDict();
    sd.delete('stem.bias');
    sd.delete('layer1.0.bn.running_var');
    sd.set('extra.weight', zeros([2]));
    sd.set('head.3.weight', zeros([2, 4]));
    assert.throws(() => c.loadStateDict(sd), (err: Error) => {
      for (const name of ['stem.bias', 'layer1.0.bn.running_var', 'extra.weight', 'head.3.weight', '[2,4]', '[1,4]']) {
        assert.ok(err.message.includes(name), `the error names ${name}:\n${err.message}`);
      }
      return true;
    });
    assert.ok(c.stem.weight.equal(before), 'a failed strict load changes nothing');

    const r = c.loadStateDict(sd, { strict: false });
    assert.deepEqual(r.missingKeys, ['stem.bias', 'layer1.0.bn.running_var']);
    assert.deepEqual(r.unexpectedKeys, ['extra.weight']);
    assert.deepEqual(r.mismatched, [{ key: 'head.3.weight', expected: [1, 4], got: [2, 4] }]);
    assert.ok(c.stem.weight.equal(a.stem.weight), 'non-strict copies the matching keys');
    assert.ok(!c.stem.bias!.equal(a.stem.bias!), 'missing keys keep their values');
    assert.ok(!(c.head.at(3) as Linear).weight.equal((a.head.at(3) as Linear).weight), 'mismatched keys are skipped');
  });

  // A state dict without num_batches_tracked (old torch checkpoints) loads strictly; the counters reset.
  scope(() => {
    const bn = new BatchNorm2d(3);
    bn.forward(tensor(Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 2, 2] }));
    assert.equal(bn.numBatchesTracked!.item(), 1);
    const r = bn.loadStateDict({ weight: ones([3]), bias: zeros([3]), running_mean: zeros([3]), running_var: ones([3]) });
    assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [], mismatched: [] });
    assert.equal(bn.numBatchesTracked!.item(), 0);
    assert.throws(() => bn.loadStateDict({ weight: 3 as unknown as Tensor }, { strict: false }), /'weight' is not a live Tensor/);
    bn.dispose();
  });
  for (const m of [a, b, c]) m.dispose();
});

test('freeze and unfreeze by name prefix; requiresGrad_; train and eval reach every module', () => {
  const net = makeNet();
  const frozen = (): string[] => net.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n]) => n);
  net.freeze('layer1');
  assert.deepEqual(frozen(), ['layer1.0.conv.weight', 'layer1.0.bn.weight', 'layer1.0.bn.bias', 'layer1.1.conv.weight', 'layer1.1.bn.weight', 'layer1.1.bn.bias']);
  net.unfreeze('layer1.1').freeze(['stem', 'head.3.bias']);
  assert.deepEqual(frozen(), ['stem.weight', 'stem.bias', 'layer1.0.conv.weight', 'layer1.0.bn.weight', 'layer1.0.bn.bias', 'head.3.bias']);
  assert.throws(() => net.freeze('layer2'), /no parameter under 'layer2'.*stem, layer1, layer10, head/);
  net.freeze();
  assert.equal(frozen().length, net.parameters().length);
  net.requiresGrad_(true, 'head');
  assert.deepEqual(net.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n), ['head.3.weight', 'head.3.bias']);
  net.unfreeze();
  assert.equal(frozen().length, 0);

  assert.ok(net.modules().every((m) => m.training));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.layer1.train();
  assert.deepEqual(net.modules().filter((m) => m.training).length, 1 + 2 * 3);
  net.dispose();
});

test('to(dtype) keeps the same tensor objects, converts floating tensors and gradients only', () => {
  const net = makeNet();
  const params = net.parameters();
  const bn = (net.layer1.at(0) as Block).bn;
  const w0 = net.stem.weight.toArray();
  scope(() => net.eval().forward(ones([1, 3, 6, 6])).sum().backward());
  net.to('float64');
  assert.deepEqual(net.parameters(), params, 'same Tensor objects');
  assert.equal(net.stem.weight.dtype, 'float64');
  assert.equal(bn.runningVar!.dtype, 'float64');
  assert.equal(bn.numBatchesTracked!.dtype, 'int64', 'integer buffers are left alone');
  assert.ok(net.stem.weight.requiresGrad && net.stem.weight.isLeaf);
  scope(() => assert.equal(net.stem.weight.grad!.dtype, 'float64'));
  scope(() => net.forward(ones([1, 3, 6, 6], { dtype: 'float64' })).sum().backward());
  net.to('float32');
  assert.deepEqual(net.stem.weight.toArray(), w0);
  net.dispose();
});

test('dispose frees every parameter and buffer; modules register nothing into scopes', () => {
  const before = memory().tensors;
  const net = scope(() => makeNet());
  assert.ok(memory().tensors > before, 'parameters survive the scope they were made in');
  assert.ok(!net.stem.weight.isDisposed);
  net.dispose();
  assert.equal(memory().tensors, before);
  assert.ok(net.stem.weight.isDisposed);
});

test('containers and registration errors', () => {
  const seq = new Sequential(new Linear(3, 2), new ReLU(), new Identity());
  assert.equal(seq.length, 3);
  assert.ok(seq.at(0) instanceof Linear);
  assert.ok(seq.at(-1) instanceof Identity);
  assert.throws(() => seq.at(3), /index out of range for 3 modules/);
  assert.deepEqual([...seq].map((m) => m.typeName), ['Linear', 'ReLU', 'Identity']);
  seq.append(new Dropout(0.1));
  assert.deepEqual([...seq.namedChildren()].map(([n]) => n), ['0', '1', '2', '3']);
  scope(() => assert.deepEqual(seq.eval().forward(ones([4, 3])).shape, [4, 2]));

  const list = new ModuleList([new Linear(2, 2)]).append(new Linear(2, 3));
  assert.deepEqual([...list.stateDict({ keepVars: true }).keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
  assert.throws(() => list.forward(ones([1, 2])), /ModuleList has no forward/);

  const m = new Sequential();
  assert.throws(() => m.registerParameter('a.b', ones([1])), /invalid name/);
  m.registerBuffer('x', ones([1]));
  assert.throws(() => m.registerParameter('x', ones([1])), /already used/);
  assert.throws(() => m.registerParameter('i', ones([1], { dtype: 'int64' })), /must be floating point/);
  assert.throws(() => new Dropout(1.5), /between 0 and 1/);
  assert.throws(() => new Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
  assert.throws(() => new BatchNorm2d(2).forward(ones([1, 2, 1, 1])), /more than 1 value per channel/);
  assert.throws(() => new BatchNorm2d(2).forward(ones([4, 2])), /expected 4D input/);
  for (const x of [seq, list, m]) x.dispose();
});
