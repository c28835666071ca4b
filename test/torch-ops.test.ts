// Parity of the tensor layer with PyTorch itself: every op's output and the gradients of its float inputs,
// computed here and in /usr/bin/python3's torch on the same values.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../src/torch/index.js';
import { F, type Tensor } from '../src/torch/index.js';
import { runPython } from './helpers/python.js';
import { assertClose, seededValues } from './helpers/numeric.js';

type Kind = 'float' | 'pos' | 'int' | 'bool' | 'prob' | 'binary';
interface Input { shape: number[]; kind?: Kind; grad?: boolean }
interface Case {
  name: string;
  inputs: Record<string, Input>;
  js: (t: Record<string, Tensor>) => Tensor;
  /** A Python expression over the inputs' names, `torch` and `F` (torch.nn.functional). */
  py: string;
}

const f = (...shape: number[]): Input => ({ shape, grad: true });
const c = (...shape: number[]): Input => ({ shape }); // constant float input, no gradient

const CASES: Case[] = [
  { name: 'add', inputs: { a: f(3, 4), b: f(3, 4) }, js: ({ a, b }) => a.add(b, 0.5), py: 'torch.add(a, b, alpha=0.5)' },
  { name: 'add broadcast', inputs: { a: f(3, 4), b: f(4) }, js: ({ a, b }) => a.add(b), py: 'a + b' },
  { name: 'add scalar', inputs: { a: f(5) }, js: ({ a }) => a.add(2.5), py: 'a + 2.5' },
  { name: 'sub', inputs: { a: f(2, 3), b: f(2, 3) }, js: ({ a, b }) => a.sub(b), py: 'a - b' },
  { name: 'rsub', inputs: { a: f(4) }, js: ({ a }) => a.rsub(1), py: '1 - a' },
  { name: 'mul', inputs: { a: f(2, 3), b: f(2, 3) }, js: ({ a, b }) => a.mul(b), py: 'a * b' },
  { name: 'mul scalar', inputs: { a: f(6) }, js: ({ a }) => a.mul(-3), py: 'a * -3' },
  { name: 'div', inputs: { a: f(2, 3), b: { shape: [2, 3], kind: 'pos', grad: true } }, js: ({ a, b }) => a.div(b), py: 'a / b' },
  { name: 'pow', inputs: { a: { shape: [5], kind: 'pos', grad: true } }, js: ({ a }) => a.pow(2.5), py: 'a ** 2.5' },
  { name: 'neg abs', inputs: { a: f(7) }, js: ({ a }) => a.neg().abs(), py: 'a.neg().abs()' },
  { name: 'exp', inputs: { a: f(6) }, js: ({ a }) => a.exp(), py: 'a.exp()' },
  { name: 'log', inputs: { a: { shape: [6], kind: 'pos', grad: true } }, js: ({ a }) => a.log(), py: 'a.log()' },
  { name: 'sqrt', inputs: { a: { shape: [6], kind: 'pos', grad: true } }, js: ({ a }) => a.sqrt(), py: 'a.sqrt()' },
  { name: 'rsqrt', inputs: { a: { shape: [6], kind: 'pos', grad: true } }, js: ({ a }) => a.rsqrt(), py: 'a.rsqrt()' },
  { name: 'sigmoid', inputs: { a: f(8) }, js: ({ a }) => a.sigmoid(), py: 'a.sigmoid()' },
  { name: 'tanh', inputs: { a: f(8) }, js: ({ a }) => a.tanh(), py: 'a.tanh()' },
  { name: 'relu', inputs: { a: f(3, 5) }, js: ({ a }) => a.relu(), py: 'F.relu(a)' },
  { name: 'clamp', inputs: { a: f(10) }, js: ({ a }) => a.clamp(-0.5, 0.7), py: 'a.clamp(-0.5, 0.7)' },
  { name: 'clamp min only', inputs: { a: f(10) }, js: ({ a }) => a.clamp(0), py: 'a.clamp(min=0)' },
  { name: 'maximum', inputs: { a: f(6), b: f(6) }, js: ({ a, b }) => a.maximum(b), py: 'torch.maximum(a, b)' },
  { name: 'where', inputs: { a: f(6), b: f(6), m: { shape: [6], kind: 'bool' } }, js: ({ a, b, m }) => a.where(m, b), py: 'torch.where(m, a, b)' },
  { name: 'lerp', inputs: { a: f(5), b: f(5) }, js: ({ a, b }) => a.lerp(b, 0.3), py: 'torch.lerp(a, b, 0.3)' },
  { name: 'addcmul', inputs: { a: f(5), b: f(5), d: f(5) }, js: ({ a, b, d }) => a.addcmul(b, d, 0.5), py: 'torch.addcmul(a, b, d, value=0.5)' },
  { name: 'addcdiv', inputs: { a: f(5), b: f(5), d: { shape: [5], kind: 'pos' } }, js: ({ a, b, d }) => a.addcdiv(b, d, 2), py: 'torch.addcdiv(a, b, d, value=2)' },
  { name: 'eq', inputs: { a: { shape: [8], kind: 'int' }, b: { shape: [8], kind: 'int' } }, js: ({ a, b }) => a.eq(b), py: 'a == b' },
  { name: 'lt scalar', inputs: { a: c(8) }, js: ({ a }) => a.lt(0), py: 'a < 0' },
  { name: 'ge', inputs: { a: c(8), b: c(8) }, js: ({ a, b }) => a.ge(b), py: 'a >= b' },
  { name: 'isfinite', inputs: { a: c(4) }, js: ({ a }) => a.div(a.clamp(0)).isfinite(), py: '(a / a.clamp(min=0)).isfinite()' },
  { name: 'sum all', inputs: { a: f(3, 4) }, js: ({ a }) => a.sum(), py: 'a.sum()' },
  { name: 'sum dims keepdim', inputs: { a: f(2, 3, 4) }, js: ({ a }) => a.sum([0, 2], true), py: 'a.sum(dim=(0, 2), keepdim=True)' },
  { name: 'mean dim', inputs: { a: f(3, 4) }, js: ({ a }) => a.mean(1), py: 'a.mean(dim=1)' },
  { name: 'var std', inputs: { a: f(3, 5) }, js: ({ a }) => a.var(1).add(a.std(0, false).sum()), py: 'a.var(dim=1) + a.std(dim=0, unbiased=False).sum()' },
  { name: 'max all', inputs: { a: f(3, 4) }, js: ({ a }) => a.max(), py: 'a.max()' },
  { name: 'max dim values', inputs: { a: f(3, 4) }, js: ({ a }) => a.maxDim(1)[0], py: 'a.max(dim=1).values' },
  { name: 'max dim indices', inputs: { a: c(3, 4) }, js: ({ a }) => a.maxDim(0)[1], py: 'a.max(dim=0).indices' },
  { name: 'argmax', inputs: { a: c(4, 5) }, js: ({ a }) => a.argmax(1), py: 'a.argmax(dim=1)' },
  { name: 'amax', inputs: { a: f(2, 3, 4) }, js: ({ a }) => a.amax([1, 2]), py: 'a.amax(dim=(1, 2))' },
  { name: 'matmul', inputs: { a: f(3, 4), b: f(4, 5) }, js: ({ a, b }) => a.matmul(b), py: 'a @ b' },
  { name: 'matmul batched', inputs: { a: f(2, 3, 4), b: f(4, 2) }, js: ({ a, b }) => a.matmul(b), py: 'a @ b' },
  { name: 'transpose', inputs: { a: f(2, 3, 4) }, js: ({ a }) => a.transpose(0, 2).contiguous(), py: 'a.transpose(0, 2).contiguous()' },
  {
    name: 'conv2d stride padding', inputs: { x: f(2, 3, 9, 9), w: f(4, 3, 3, 3), b: f(4) },
    js: ({ x, w, b }) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), py: 'F.conv2d(x, w, b, stride=2, padding=1)',
  },
  {
    name: 'conv2d dilation no bias', inputs: { x: f(1, 2, 10, 10), w: f(3, 2, 3, 3) },
    js: ({ x, w }) => F.conv2d(x, w, undefined, { dilation: 2, padding: [2, 1] }), py: 'F.conv2d(x, w, None, dilation=2, padding=(2, 1))',
  },
  {
    name: 'conv2d groups', inputs: { x: f(2, 4, 6, 6), w: f(6, 2, 3, 3), b: f(6) },
    js: ({ x, w, b }) => F.conv2d(x, w, b, { groups: 2 }), py: 'F.conv2d(x, w, b, groups=2)',
  },
  {
    name: 'conv2d 1x1 strided', inputs: { x: f(2, 4, 7, 7), w: f(8, 4, 1, 1) },
    js: ({ x, w }) => F.conv2d(x, w, undefined, { stride: 2 }), py: 'F.conv2d(x, w, stride=2)',
  },
  {
    name: 'batch_norm eval', inputs: { x: f(4, 3, 5, 5), rm: c(3), rv: { shape: [3], kind: 'pos' }, w: f(3), b: f(3) },
    js: ({ x, rm, rv, w, b }) => F.batchNorm(x, rm, rv, w, b, false, 0.1, 1e-5), py: 'F.batch_norm(x, rm, rv, w, b, training=False, momentum=0.1, eps=1e-5)',
  },
  {
    name: 'batch_norm training', inputs: { x: f(4, 3, 5, 5), w: f(3), b: f(3) },
    js: ({ x, w, b }) => F.batchNorm(x, undefined, undefined, w, b, true), py: 'F.batch_norm(x, None, None, w, b, training=True)',
  },
  { name: 'max_pool2d', inputs: { x: f(2, 3, 9, 9) }, js: ({ x }) => F.maxPool2d(x, 3, 2, 1), py: 'F.max_pool2d(x, 3, 2, 1)' },
  { name: 'max_pool2d ceil', inputs: { x: f(1, 2, 8, 8) }, js: ({ x }) => F.maxPool2d(x, 3, 2, 0, 1, true), py: 'F.max_pool2d(x, 3, 2, 0, 1, ceil_mode=True)' },
  { name: 'avg_pool2d', inputs: { x: f(1, 2, 8, 8) }, js: ({ x }) => F.avgPool2d(x, 2), py: 'F.avg_pool2d(x, 2)' },
  { name: 'adaptive_avg_pool2d', inputs: { x: f(2, 3, 7, 5) }, js: ({ x }) => F.adaptiveAvgPool2d(x, 1), py: 'F.adaptive_avg_pool2d(x, 1)' },
  { name: 'adaptive_avg_pool2d 3x2', inputs: { x: f(2, 3, 7, 5) }, js: ({ x }) => F.adaptiveAvgPool2d(x, [3, 2]), py: 'F.adaptive_avg_pool2d(x, (3, 2))' },
  { name: 'linear', inputs: { x: f(5, 4), w: f(3, 4), b: f(3) }, js: ({ x, w, b }) => F.linear(x, w, b), py: 'F.linear(x, w, b)' },
  { name: 'dropout eval', inputs: { x: f(10) }, js: ({ x }) => F.dropout(x, 0.5, false), py: 'F.dropout(x, 0.5, training=False)' },
  { name: 'dropout p=0', inputs: { x: f(10) }, js: ({ x }) => F.dropout(x, 0, true), py: 'F.dropout(x, 0.0, training=True)' },
  { name: 'log_softmax', inputs: { x: f(4, 6) }, js: ({ x }) => F.logSoftmax(x, 1), py: 'F.log_softmax(x, dim=1)' },
  { name: 'softmax', inputs: { x: f(4, 6) }, js: ({ x }) => F.softmax(x, 0), py: 'F.softmax(x, dim=0)' },
  {
    name: 'bce with logits', inputs: { x: f(8), y: { shape: [8], kind: 'binary' } },
    js: ({ x, y }) => F.binaryCrossEntropyWithLogits(x, y), py: 'F.binary_cross_entropy_with_logits(x, y)',
  },
  {
    name: 'bce with logits weight pos_weight', inputs: { x: f(6, 1), y: { shape: [6, 1], kind: 'binary' }, wt: { shape: [6, 1], kind: 'pos' }, pw: { shape: [1], kind: 'pos' } },
    js: ({ x, y, wt, pw }) => F.binaryCrossEntropyWithLogits(x, y, { weight: wt, posWeight: pw }),
    py: 'F.binary_cross_entropy_with_logits(x, y, weight=wt, pos_weight=pw)',
  },
  {
    name: 'bce with logits sum', inputs: { x: f(5), y: { shape: [5], kind: 'binary' } },
    js: ({ x, y }) => F.binaryCrossEntropyWithLogits(x, y, { reduction: 'sum' }), py: "F.binary_cross_entropy_with_logits(x, y, reduction='sum')",
  },
  { name: 'bce on probabilities', inputs: { p: { shape: [6], kind: 'prob', grad: true }, y: { shape: [6], kind: 'binary' } }, js: ({ p, y }) => F.binaryCrossEntropy(p, y), py: 'F.binary_cross_entropy(p, y)' },
  { name: 'cat', inputs: { a: f(2, 3), b: f(4, 3) }, js: ({ a, b }) => torch.cat([a, b], 0), py: 'torch.cat([a, b], 0)' },
  { name: 'stack', inputs: { a: f(2, 3), b: f(2, 3) }, js: ({ a, b }) => torch.stack([a, b], 1), py: 'torch.stack([a, b], 1)' },
  { name: 'view', inputs: { a: f(2, 6) }, js: ({ a }) => a.view(3, 4), py: 'a.view(3, 4)' },
  { name: 'reshape', inputs: { a: f(2, 6) }, js: ({ a }) => a.t().reshape(-1), py: 'a.t().reshape(-1)' },
  { name: 'permute', inputs: { a: f(2, 3, 4) }, js: ({ a }) => a.permute(2, 0, 1).contiguous(), py: 'a.permute(2, 0, 1).contiguous()' },
  { name: 'flatten', inputs: { a: f(2, 3, 2, 2) }, js: ({ a }) => a.flatten(1), py: 'a.flatten(1)' },
  { name: 'squeeze unsqueeze', inputs: { a: f(3, 1, 2) }, js: ({ a }) => a.squeeze(1).unsqueeze(0), py: 'a.squeeze(1).unsqueeze(0)' },
  { name: 'index_select', inputs: { a: f(5, 3), i: { shape: [4], kind: 'int' } }, js: ({ a, i }) => a.indexSelect(0, i), py: 'a.index_select(0, i)' },
  { name: 'slice', inputs: { a: f(6, 4) }, js: ({ a }) => a.slice(0, 1, 5, 2), py: 'a[1:5:2]' },
  { name: 'narrow select', inputs: { a: f(6, 4) }, js: ({ a }) => a.narrow(1, 1, 2).select(0, 3), py: 'a.narrow(1, 1, 2).select(0, 3)' },
  { name: 'flip', inputs: { a: f(2, 3, 4) }, js: ({ a }) => a.flip([2]), py: 'a.flip([2])' },
  { name: 'expand', inputs: { a: f(3, 1) }, js: ({ a }) => a.expand(3, 4).contiguous(), py: 'a.expand(3, 4).contiguous()' },
];

const INT_MAX = 5;

function valuesFor(inp: Input, seed: number): number[] {
  const n = inp.shape.reduce((p, d) => p * d, 1);
  const u = seededValues(n, seed);
  switch (inp.kind ?? 'float') {
    case 'pos': return u.map((v) => 0.2 + Math.abs(v) * 2);
    case 'int': return u.map((v) => Math.floor(((v + 1) / 2) * INT_MAX) % INT_MAX);
    case 'bool': case 'binary': return u.map((v) => (v > 0 ? 1 : 0));
    case 'prob': return u.map((v) => 0.05 + ((v + 1) / 2) * 0.9);
    default: return u.map((v) => v * 2);
  }
}

function makeInput(inp: Input, values: number[]): Tensor {
  const kind = inp.kind ?? 'float';
  const dtype = kind === 'int' ? 'int64' : kind === 'bool' ? 'bool' : 'float32';
  const t = torch.tensor(values, { shape: inp.shape, dtype });
  return inp.grad ? t.requiresGrad_() : t;
}

test('every op and its gradients equal PyTorch', () => {
  const payload = CASES.map((cs, ci) => {
    const inputs = Object.fromEntries(Object.entries(cs.inputs).map(([k, inp], ii) => [k, { ...inp, data: valuesFor(inp, ci * 100 + ii + 1) }]));
    return { name: cs.name, py: cs.py, inputs };
  });
  const ref = runPython<{ name: string; out: number[]; shape: number[]; grads: Record<string, number[]> }[]>(
    `
import torch
import torch.nn.functional as F
res = []
for c in inp:
    T = {}
    for k, v in c['inputs'].items():
        kind = v.get('kind') or 'float'
        dt = torch.int64 if kind == 'int' else torch.bool if kind == 'bool' else torch.float32
        t = torch.tensor(v['data'], dtype=torch.float64).to(dt).reshape(v['shape'])
        if v.get('grad'):
            t.requires_grad_(True)
        T[k] = t
    y = eval(c['py'], {'torch': torch, 'F': F}, T)
    grads = {}
    if y.dtype.is_floating_point and y.requires_grad:
        g = torch.linspace(-1, 1, y.numel()).reshape(y.shape)
        (y * g).sum().backward()
        grads = {k: t.grad.flatten().tolist() for k, t in T.items() if t.grad is not None}
    res.append({'name': c['name'], 'out': y.detach().double().flatten().tolist(), 'shape': list(y.shape), 'grads': grads})
out(res)
`,
    payload,
  );
  for (const [i, cs] of CASES.entries()) {
    torch.scope(() => {
      const ts = Object.fromEntries(Object.entries(cs.inputs).map(([k, inp]) => [k, makeInput(inp, payload[i].inputs[k].data)]));
      const out = cs.js(ts);
      const r = ref[i];
      assert.deepEqual(out.shape, r.shape, `${cs.name}: shape`);
      assertClose(out.toArray(), r.out, `${cs.name}: output`);
      if (Object.keys(r.grads).length > 0) {
        const g = torch.linspace(-1, 1, out.numel).reshape(...out.shape);
        out.mul(g).sum().backward();
        for (const [k, expected] of Object.entries(r.grads)) {
          const grad = ts[k].grad;
          assert.ok(grad, `${cs.name}: no gradient for ${k}`);
          assertClose(grad.toArray(), expected, `${cs.name}: d/d${k}`);
        }
      }
    });
  }
});

test('batch_norm in training mode updates running statistics as PyTorch does', () => {
  const x = seededValues(2 * 3 * 4 * 4, 7).map((v) => v * 3 + 1);
  const ref = runPython<{ rm: number[]; rv: number[] }>(
    `
import torch
import torch.nn.functional as F
x = torch.tensor(inp, dtype=torch.float32).reshape(2, 3, 4, 4)
rm = torch.zeros(3); rv = torch.ones(3)
for _ in range(3):
    F.batch_norm(x, rm, rv, None, None, training=True, momentum=0.1, eps=1e-5)
out({'rm': rm.tolist(), 'rv': rv.tolist()})
`,
    x,
  );
  torch.scope(() => {
    const xt = torch.tensor(x, { shape: [2, 3, 4, 4] });
    const rm = torch.zeros([3]);
    const rv = torch.ones([3]);
    for (let i = 0; i < 3; i++) F.batchNorm(xt, rm, rv, undefined, undefined, true, 0.1, 1e-5);
    assertClose(rm.toArray(), ref.rm, 'running_mean');
    assertClose(rv.toArray(), ref.rv, 'running_var');
  });
});

test('in-place ops used by optimizers equal PyTorch', () => {
  const a = seededValues(6, 11);
  const b = seededValues(6, 12);
  const d = seededValues(6, 13).map((v) => 0.5 + Math.abs(v));
  const ref = runPython<number[][]>(
    `
import torch
a, b, d = (torch.tensor(v, dtype=torch.float32) for v in inp)
r = []
x = a.clone(); x.add_(b, alpha=-0.3); r.append(x.tolist())
x = a.clone(); x.mul_(0.9).addcmul_(b, b, value=0.1); r.append(x.tolist())
x = a.clone(); x.addcdiv_(b, d.sqrt().add_(1e-8), value=-0.01); r.append(x.tolist())
x = a.clone(); x.lerp_(b, 0.1); r.append(x.tolist())
x = a.clone(); x.clamp_(-0.2, 0.2); x.sub_(1.5); x.div_(d); r.append(x.tolist())
x = a.clone(); x.copy_(b); x.maximum_ if hasattr(x, 'maximum_') else None; r.append(torch.maximum(x, d).tolist())
out(r)
`,
    [a, b, d],
  );
  torch.scope(() => {
    const [ta, tb, td] = [a, b, d].map((v) => torch.tensor(v));
    assertClose(ta.clone().add_(tb, -0.3).toArray(), ref[0], 'add_ alpha');
    assertClose(ta.clone().mul_(0.9).addcmul_(tb, tb, 0.1).toArray(), ref[1], 'mul_ addcmul_');
    assertClose(ta.clone().addcdiv_(tb, td.sqrt().add_(1e-8), -0.01).toArray(), ref[2], 'addcdiv_');
    assertClose(ta.clone().lerp_(tb, 0.1).toArray(), ref[3], 'lerp_');
    assertClose(ta.clone().clamp_(-0.2, 0.2).sub_(1.5).div_(td).toArray(), ref[4], 'clamp_ sub_ div_');
    assertClose(ta.clone().copy_(tb).maximum_(td).toArray(), ref[5], 'copy_ maximum_');
  });
});

test('dtypes: creation, read-back and conversion equal PyTorch', () => {
  const vals = [0, 1.5, -2.25, 3.140625, 65504, 1e-3];
  const ref = runPython<{ f16: number[]; bf16: number[]; i64: number[]; u8: number[] }>(
    `
import torch
v = torch.tensor(inp, dtype=torch.float32)
out({'f16': v.half().view(torch.int16).tolist(), 'bf16': v.bfloat16().view(torch.int16).tolist(),
     'i64': v.long().tolist(), 'u8': v.abs().to(torch.uint8).tolist()})
`,
    vals,
  );
  torch.scope(() => {
    const v = torch.tensor(vals);
    const bits = (t: Tensor) => Array.from(new Int16Array(t.data<'float16'>().buffer));
    assert.deepEqual(bits(v.to('float16')), ref.f16);
    assert.deepEqual(bits(v.to('bfloat16')), ref.bf16);
    assert.deepEqual(Array.from(v.to('int64').data<'int64'>(), Number), ref.i64);
    assert.deepEqual(Array.from(v.abs().to('uint8').data<'uint8'>()), ref.u8);
    for (const [dtype, arr] of [
      ['float32', new Float32Array([1, 2, 3])], ['float64', new Float64Array([1, 2, 3])], ['int64', new BigInt64Array([1n, -2n, 3n])],
      ['int32', new Int32Array([1, -2, 3])], ['int16', new Int16Array([1, -2, 3])], ['int8', new Int8Array([1, -2, 3])],
      ['uint8', new Uint8Array([1, 2, 255])],
    ] as const) {
      const t = torch.tensor(arr);
      assert.equal(t.dtype, dtype);
      assert.deepEqual(Array.from(t.data() as ArrayLike<number | bigint>), Array.from(arr as ArrayLike<number | bigint>));
    }
    const b = torch.tensor([true, false, true]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(Array.from(b.data<'bool'>()), [1, 0, 1]);
    assert.equal(torch.zeros([2, 3], { dtype: 'bfloat16' }).dtype, 'bfloat16');
    assert.deepEqual(torch.full([2], 7, { dtype: 'int32' }).toArray(), [7, 7]);
    assert.deepEqual(torch.arange(0, 5, 2).toArray(), [0, 2, 4]);
    assert.equal(torch.ones([2, 3, 4, 5]).contiguous(true).isContiguous(true), true);
  });
});

test('manualSeed makes randn and rand repeat, and equals PyTorch', () => {
  const ref = runPython<{ n: number[]; u: number[] }>(
    `
import torch
torch.manual_seed(123)
n = torch.randn(5)
u = torch.rand(3)
out({'n': n.tolist(), 'u': u.tolist()})
`,
  );
  torch.scope(() => {
    torch.manualSeed(123);
    const n = torch.randn([5]).toArray();
    const u = torch.rand([3]).toArray();
    assertClose(n, ref.n, 'randn');
    assertClose(u, ref.u, 'rand');
    const state = torch.getRngState();
    const a = torch.randn([4]).toArray();
    torch.setRngState(state);
    assert.deepEqual(torch.randn([4]).toArray(), a);
  });
});

test('noGrad records no graph; autocast gives bf16 on CPU and restores the previous state', () => {
  torch.scope(() => {
    const w = torch.randn([3, 3]).requiresGrad_();
    const y = torch.noGrad(() => w.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
    assert.equal(w.mul(2).requiresGrad, true);
    const x = torch.randn([2, 3]);
    assert.equal(torch.autocast(() => F.linear(x, w).dtype), 'bfloat16');
    assert.equal(F.linear(x, w).dtype, 'float32');
    assert.throws(() => torch.noGrad(() => Promise.resolve(1) as unknown as number), /synchronous/);
    assert.equal(torch.isGradEnabled(), true);
  });
});
