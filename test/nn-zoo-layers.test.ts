// The engine ops and layers the backbone zoo added, each against PyTorch on the same inputs: SiLU, Hardswish,
// Hardsigmoid, GELU, LayerNorm (forward and input/weight gradients), SqueezeExcitation (torchvision.ops) and
// StochasticDepth (torchvision.ops, 'row' and 'batch', the same seeded draws; identity in eval mode).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import { GELU, Hardsigmoid, Hardswish, LayerNorm, ReLU, SiLU, Sigmoid, SqueezeExcitation, StochasticDepth, type Module } from '../src/nn/index.js';
import { runPython } from './helpers/python.js';
import { PY_MODELS, assertClose, readTensors, tempDir } from './models-helpers.js';

test('SiLU, Hardswish, Hardsigmoid, GELU, LayerNorm, SqueezeExcitation and StochasticDepth equal PyTorch (values and gradients)', () => {
  const dir = tempDir('nn-zoo');
  runPython(PY_MODELS + `
import torch.nn as nn
from torchvision.ops import SqueezeExcitation, StochasticDepth
torch.manual_seed(0)
x = torch.randn(3, 8, 5, 5) * 3
w = torch.randn(3, 8, 5, 5)
io = {'x': x, 'w': w}
for name, m in [('silu', nn.SiLU()), ('hardswish', nn.Hardswish()), ('hardsigmoid', nn.Hardsigmoid()), ('gelu', nn.GELU())]:
    xi = x.clone().requires_grad_()
    y = m(xi)
    (y * w).sum().backward()
    io[name] = y.detach(); io[name + '.grad'] = xi.grad
ln = nn.LayerNorm([5, 5], eps=1e-6)
with torch.no_grad():
    ln.weight.copy_(torch.randn(5, 5)); ln.bias.copy_(torch.randn(5, 5))
io['ln.weight'] = ln.weight.detach().clone(); io['ln.bias'] = ln.bias.detach().clone()
xi = x.clone().requires_grad_()
y = ln(xi)
(y * w).sum().backward()
io['ln'] = y.detach(); io['ln.grad'] = xi.grad; io['ln.weight.grad'] = ln.weight.grad
torch.manual_seed(1)
se = SqueezeExcitation(8, 2, activation=nn.ReLU, scale_activation=nn.Hardsigmoid)
for k, v in se.state_dict().items(): io['se.' + k] = v
io['se'] = se(x).detach()
torch.manual_seed(2)
io['sd.row'] = StochasticDepth(0.5, 'row').train()(x)
io['sd.batch'] = StochasticDepth(0.3, 'batch').train()(x)
st_write(inp + '/io.safetensors', io)
`, dir);
  const io = readTensors(path.join(dir, 'io.safetensors'));
  const x = io.get('x')!;
  const layers: [string, Module][] = [['silu', new SiLU()], ['hardswish', new Hardswish()], ['hardsigmoid', new Hardsigmoid()], ['gelu', new GELU()]];
  const ln = new LayerNorm([5, 5], 1e-6);
  try {
    torch.noGrad(() => {
      ln.weight!.copy_(io.get('ln.weight')!);
      ln.bias!.copy_(io.get('ln.bias')!);
    });
    for (const [name, m] of [...layers, ['ln', ln] as [string, Module]]) {
      torch.scope(() => {
        const xi = x.detach().requiresGrad_();
        const y = m.forward(xi);
        assertClose(y.detach(), io.get(name)!, name, 1e-6, 1e-6);
        y.mul(io.get('w')!).sum().backward();
        assertClose(xi.grad!, io.get(`${name}.grad`)!, `${name} input gradient`, 1e-5, 1e-5);
      });
    }
    assertClose(ln.weight!.grad!, io.get('ln.weight.grad')!, 'LayerNorm weight gradient', 1e-5, 1e-5);

    torch.manualSeed(1);
    const se = new SqueezeExcitation(8, 2, new ReLU(), new Hardsigmoid());
    const seState = new Map([...io].filter(([k]) => k.startsWith('se.')).map(([k, v]) => [k.slice(3), v]));
    assert.deepEqual([...se.stateDict().keys()].sort(), [...seState.keys()].sort());
    for (const [k, t] of se.stateDict()) assert.ok(t.equal(seState.get(k)!), `SqueezeExcitation seeded ${k}`);
    torch.scope(() => assertClose(torch.noGrad(() => se.forward(x)), io.get('se')!, 'SqueezeExcitation', 1e-6, 1e-6));
    se.dispose();
    assert.ok(new Sigmoid() instanceof Sigmoid);

    torch.manualSeed(2);
    const row = new StochasticDepth(0.5, 'row');
    const batch = new StochasticDepth(0.3, 'batch');
    torch.scope(() => {
      assert.ok(row.forward(x).equal(io.get('sd.row')!), 'StochasticDepth row: the same draws');
      assert.ok(batch.forward(x).equal(io.get('sd.batch')!), 'StochasticDepth batch: the same draws');
      row.eval();
      assert.equal(row.forward(x), x, 'StochasticDepth in eval mode returns its input');
    });
  } finally {
    ln.dispose();
    torch.dispose(io);
  }
});
