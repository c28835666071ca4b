// The package's entry points resolve as a user's `import 'tlearn'` does (Node's self-reference through
// package.json "exports"), and each layer's namespace carries its API.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// A variable keeps tsc from resolving the specifier against dist/ at compile time.
const load = (specifier: string): Promise<Record<string, any>> => import(specifier);

test("import 'tlearn' gives one namespace per layer; 'tlearn/<layer>' each layer; the README's deep path still works", async () => {
  const t = await load('tlearn');
  assert.deepEqual(Object.keys(t).sort(), ['cli', 'data', 'distributed', 'eval', 'evaluation', 'io', 'metrics', 'models', 'nn', 'optim', 'report', 'torch', 'train']);
  // `import { evaluation } from 'tlearn'` (a bare `eval` binding is a SyntaxError); tlearn.eval is the same namespace.
  assert.equal(t.evaluation, t.eval);
  assert.equal(typeof t.evaluation.predict, 'function');
  assert.equal(typeof t.torch.scope, 'function');
  assert.equal(typeof t.train.train, 'function');
  assert.equal(typeof t.metrics.rocAucScore, 'function');
  const torch = await load('tlearn/torch');
  assert.equal(torch.scope, t.torch.scope, 'the same module instance');
  const y = torch.scope(() => torch.ones([2, 3]).sum().item());
  assert.equal(y, 6);
  assert.equal((await load('tlearn/dist/src/torch/index.js')).scope, torch.scope);
  assert.equal((await load('tlearn/distributed')).ProcessGroup, t.distributed.ProcessGroup);
  assert.equal(typeof t.distributed.GradientReducer, 'function');
});
