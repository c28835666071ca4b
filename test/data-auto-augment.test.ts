// augment: trivial (TrivialAugmentWide) and randaugment (RandAugment): every operation at several strengths and
// both signs gives torchvision's own pixels (autoaugment._apply_op on the same uint8 image, byte for byte) at each
// policy's magnitudes; the draws cover every operation, strength and sign (RandAugment: two operations at strength 9);
// RandAugment with other operation counts and strengths (randAugment, --randaugment-ops/-magnitude) is torchvision's
// RandAugment(num_ops, magnitude) with its random draws replaced by ours; the settings are checked and warned about;
// the engine's batch conversion applies a draw after the flip, as torchvision's recipe (RandomHorizontalFlip, the
// policy, ToTensor, Normalize) does; a run with it trains without the feature cache and resumes from a Ctrl-C
// mid-epoch to the uninterrupted history and weights.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../src/data/rng.js';
import { imagesTensor } from '../src/data/tensor.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/data/transforms.js';
import { applyAutoAugment, applyOp, augmentMagnitude } from '../src/data/auto-augment.js';
import { AUGMENT_OPS, AUTO_AUGMENT_POLICIES, drawAutoAugment, MAGNITUDE_BINS, type AugmentStep, type AutoAugmentDraw } from '../src/data/auto-augment-draw.js';
import { memory, scope, tensor } from '../src/torch/index.js';
import { DataLoader } from '../src/data/index.js';
import { resolveConfig } from '../src/train/config/index.js';
import { configWarnings } from '../src/train/config/warnings.js';
import { runPython } from './helpers/python.js';
import { assertSameRun, makeStripes, recordedRun, removeTempDirs, tempDir, tinyConfig } from './train-fixtures.js';

after(removeTempDirs);

// An image with structure in both directions, of unequal sides (a swapped axis shows), and a channel whose values
// span few levels (equalize and autocontrast then do something; equalize needs more than 255 pixels to act).
const [H, W] = [24, 29];
const PIXELS = Uint8Array.from({ length: 3 * H * W }, (_, i) => {
  const c = Math.floor(i / (H * W)), y = Math.floor((i % (H * W)) / W), x = i % W;
  return c === 0 ? (x * 15 + y * 4) % 256 : c === 1 ? (x * y * 7 + 31) % 256 : 100 + ((x + 2 * y) % 9) * 3;
});

const PY_OPS = `
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import RandAugment, TrivialAugmentWide, _apply_op
spaces = {'trivial': TrivialAugmentWide()._augmentation_space(31), 'randaugment': RandAugment()._augmentation_space(31, (inp['h'], inp['w']))}
img = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(1, 3, inp['h'], inp['w'])
res = []
for c in inp['cases']:
    mags, signed = spaces[c['policy']][c['op']]
    m = float(mags[c['bin']].item()) if mags.ndim > 0 else 0.0
    if signed and c['negative']:
        m *= -1.0
    res.append({'m': m, 'px': _apply_op(img, c['op'], m, InterpolationMode.NEAREST, None).flatten().tolist()})
out(res)
`;

for (const policy of AUTO_AUGMENT_POLICIES) {
  test(`${policy}: every operation at strengths 0, 1, 7, 9, 16 and 30 of both signs gives torchvision's pixels byte for byte, at its magnitudes`, () => {
    const cases: AugmentStep[] = AUGMENT_OPS.flatMap((op) => [0, 1, 7, 9, 16, 30].flatMap((bin) => [false, true].map((negative) => ({ op, bin, negative }))));
    const ref = runPython<{ m: number; px: number[] }[]>(PY_OPS, { pixels: Array.from(PIXELS), h: H, w: W, cases: cases.map((c) => ({ ...c, policy })) });
    const before = memory().tensors;
    const mismatched: string[] = [];
    scope(() => {
      const img = tensor(PIXELS, { shape: [1, 3, H, W] });
      for (const [i, c] of cases.entries()) {
        const m = augmentMagnitude(policy, c, H, W);
        assert.equal(m, ref[i]!.m, `${c.op} bin ${c.bin}${c.negative ? ' negative' : ''}: magnitude`);
        const got = scope(() => {
          const out = applyOp(img, c.op, m);
          assert.equal(out.dtype, 'uint8');
          assert.deepEqual(out.shape, [1, 3, H, W]);
          return out.data<'uint8'>();
        });
        const diff = ref[i]!.px.filter((v, k) => v !== got[k]).length;
        if (diff) mismatched.push(`${c.op} bin ${c.bin}${c.negative ? ' negative' : ''} (m ${m}): ${diff} of ${got.length} bytes differ`);
      }
    });
    assert.deepEqual(mismatched, []);
    assert.equal(memory().tensors, before, 'no tensor left behind');
    // A test that cannot fail is none: every operation but Identity changes the image.
    const changed = new Set(cases.filter((_, i) => ref[i]!.px.some((v, k) => v !== PIXELS[k])).map((c) => c.op));
    assert.equal(changed.size, AUGMENT_OPS.length - 1, `operations that change the image: ${[...changed].join()}`);
  });
}

test('RandAugment\'s two operations in a row give torchvision\'s RandAugment pixels for the same draws', () => {
  const draws: AutoAugmentDraw[] = [[['Rotate', true], ['Equalize', false]], [['ShearY', false], ['Posterize', false]], [['TranslateX', true], ['Solarize', false]]]
    .map((pair) => ({ policy: 'randaugment', steps: pair.map(([op, negative]) => ({ op: op as AugmentStep['op'], bin: 9, negative: negative as boolean })) }));
  const ours = scope(() => draws.map((d) => applyAutoAugment(tensor(PIXELS, { shape: [1, 3, H, W] }), d).data<'uint8'>()));
  const ref = runPython<number[][]>(`
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import RandAugment, _apply_op
space = RandAugment()._augmentation_space(31, (inp['h'], inp['w']))
res = []
for d in inp['draws']:
    img = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(1, 3, inp['h'], inp['w'])
    for s in d['steps']:
        mags, signed = space[s['op']]
        m = float(mags[9].item()) if mags.ndim > 0 else 0.0
        if signed and s['negative']: m *= -1.0
        img = _apply_op(img, s['op'], m, InterpolationMode.NEAREST, None)
    res.append(img.flatten().tolist())
out(res)`, { pixels: Array.from(PIXELS), h: H, w: W, draws });
  for (const [i, r] of ref.entries()) assert.deepEqual(Array.from(ours[i]!), r, JSON.stringify(draws[i]));
});

test('RandAugment with N operations at strength M is torchvision\'s RandAugment(num_ops=N, magnitude=M) replaying our draws', () => {
  const cases = [{ numOps: 3, magnitude: 5 }, { numOps: 1, magnitude: 30 }, { numOps: 4, magnitude: 0 }].flatMap((rand) =>
    [11, 12, 13].map((seed) => ({ rand, draw: drawAutoAugment(new Rng(seed), 'randaugment', rand) })));
  for (const { rand, draw } of cases) {
    assert.equal(draw.steps.length, rand.numOps);
    assert.ok(draw.steps.every((s) => s.bin === rand.magnitude));
  }
  const ours = scope(() => cases.map(({ draw }) => applyAutoAugment(tensor(PIXELS, { shape: [1, 3, H, W] }), draw).data<'uint8'>()));
  // torch.randint answers with our draws, in the order RandAugment.forward asks: the operation, then a sign if signed.
  const ref = runPython<number[][]>(`
import torch
from torchvision.transforms import RandAugment
res = []
for c in inp['cases']:
    ra = RandAugment(num_ops=c['rand']['numOps'], magnitude=c['rand']['magnitude'])
    space = ra._augmentation_space(31, (inp['h'], inp['w']))
    names = list(space.keys())
    queue = []
    for s in c['draw']['steps']:
        queue.append(names.index(s['op']))
        if space[s['op']][1]: queue.append(1 if s['negative'] else 0)
    def randint(high, size, **kw):
        v = queue.pop(0)
        assert v < high
        return torch.tensor([v])
    torch.randint = randint
    img = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(1, 3, inp['h'], inp['w'])
    res.append(ra(img).flatten().tolist())
    assert not queue, 'draws left over'
out(res)`, { pixels: Array.from(PIXELS), h: H, w: W, cases });
  assert.equal(ref.length, 9);
  for (const [i, r] of ref.entries()) assert.deepEqual(Array.from(ours[i]!), r, JSON.stringify(cases[i]));
});

test('config: randAugment and --randaugment-ops/-magnitude reach the loader; bad settings are refused by name; without augment randaugment, a warning', () => {
  assert.deepEqual(resolveConfig({ overrides: { data: '/d' } }).randAugment, { numOps: 2, magnitude: 9 });
  const set = resolveConfig({ overrides: { data: '/d', augment: 'randaugment', randAugmentOps: 3, randAugmentMagnitude: 14 } });
  assert.deepEqual(set.randAugment, { numOps: 3, magnitude: 14 });
  assert.deepEqual(configWarnings(set), []);
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', set: ['randAugment.magnitude=20'] } }).randAugment, { numOps: 2, magnitude: 20 });
  for (const bad of ['randAugment.numOps=0', 'randAugment.numOps=1.5', 'randAugment.magnitude=31', 'randAugment.magnitude=-1', 'randAugment.ops=2']) {
    assert.throws(() => resolveConfig({ overrides: { data: '/d', set: [bad] } }), (e: Error) => /randAugment/.test(e.message), bad);
  }
  const unused = resolveConfig({ overrides: { data: '/d', augment: 'trivial', randAugmentOps: 3 } });
  assert.ok(configWarnings(unused).some((w) => /randAugment \(numOps 3, magnitude 9\) has no effect with augment "trivial"/.test(w)), configWarnings(unused).join('\n'));
  const loader = new DataLoader([], { train: true, augment: 'randaugment', randAugment: { numOps: 5, magnitude: 3 } });
  assert.deepEqual(loader.randAugment, { numOps: 5, magnitude: 3 });
  assert.throws(() => new DataLoader([], { randAugment: { numOps: 2, magnitude: 40 } }), /magnitude must be an integer from 0 to 30, got 40/);
});

test('the draws: every operation, strengths 0 to 30 where it has them (RandAugment: 9), a sign only for the signed ones', () => {
  const seen = new Map<string, Set<string>>();
  for (let seed = 0; seed < 20000; seed++) {
    const d = drawAutoAugment(new Rng(seed), 'trivial');
    assert.equal(d.steps.length, 1);
    const s = d.steps[0]!;
    assert.ok(s.bin >= 0 && s.bin < MAGNITUDE_BINS);
    if (['Identity', 'AutoContrast', 'Equalize'].includes(s.op)) assert.equal(s.bin, 0, `${s.op} has no strength`);
    if (['Identity', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize'].includes(s.op)) assert.equal(s.negative, false, `${s.op} is unsigned`);
    const set = seen.get(s.op) ?? new Set<string>();
    set.add(`${s.bin}${s.negative ? '-' : ''}`);
    seen.set(s.op, set);
  }
  assert.deepEqual([...seen.keys()].sort(), [...AUGMENT_OPS].sort());
  assert.equal(seen.get('Rotate')!.size, 62, 'Rotate: 31 strengths of two signs');
  assert.equal(seen.get('Posterize')!.size, 31);
  assert.deepEqual(drawAutoAugment(new Rng(5), 'trivial'), drawAutoAugment(new Rng(5), 'trivial'), 'a seeded stream draws the same');
  const rand = Array.from({ length: 2000 }, (_, seed) => drawAutoAugment(new Rng(seed), 'randaugment'));
  assert.ok(rand.every((d) => d.steps.length === 2 && d.steps.every((s) => s.bin === 9)));
  assert.equal(new Set(rand.flatMap((d) => d.steps.map((s) => s.op))).size, AUGMENT_OPS.length);
  assert.ok(rand.some((d) => d.steps[0]!.op !== d.steps[1]!.op) && rand.some((d) => d.steps.some((s) => s.negative)));
});

test('the batch conversion applies each image\'s draw after its flip and before the normalisation, as torchvision\'s recipe', () => {
  const pixels = new Uint8Array(2 * H * W * 3);
  // NHWC: the test image, and its channels rolled as a second one.
  for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) pixels[((n * H * W) + p) * 3 + c] = PIXELS[((c + n) % 3) * H * W + p]!;
  const autoAugment: AutoAugmentDraw[] = [
    { policy: 'trivial', steps: [{ op: 'Rotate', bin: 9, negative: true }] }, { policy: 'trivial', steps: [{ op: 'Equalize', bin: 0, negative: false }] },
  ];
  const ours = scope(() => imagesTensor({
    pixels, shape: [2, 3, H, W], layout: 'nchw', views: [{ flip: true }, { flip: false }], jitter: [null, null], autoAugment, mean: IMAGENET_MEAN, std: IMAGENET_STD,
  }).toFloat32Array());
  const ref = runPython<number[]>(`
import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import TrivialAugmentWide, _apply_op
space = TrivialAugmentWide()._augmentation_space(31)
x = torch.tensor(inp['pixels'], dtype=torch.uint8).reshape(2, inp['h'], inp['w'], 3).permute(0, 3, 1, 2)
outs = []
for img, flip, c in zip(x, inp['flips'], [d['steps'][0] for d in inp['auto']]):
    if flip: img = F.hflip(img)
    mags, signed = space[c['op']]
    m = float(mags[c['bin']].item()) if mags.ndim > 0 else 0.0
    if signed and c['negative']: m *= -1.0
    img = _apply_op(img, c['op'], m, InterpolationMode.NEAREST, None)
    outs.append(F.normalize(F.convert_image_dtype(img, torch.float), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))
out(torch.stack(outs).flatten().tolist())`, { pixels: Array.from(pixels), h: H, w: W, flips: [true, false], auto: autoAugment });
  const max = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i]!)), 0);
  assert.ok(max < 1e-6, `max |diff| ${max}`);
});

test('a run with augment trivial trains every epoch through the whole network and resumes mid-epoch to the same history and weights', { timeout: 600_000 }, async () => {
  const data = await makeStripes(tempDir(), { train: 8, val: 4, test: 2 });
  const config = tinyConfig(data, [], { augment: 'trivial', epochs1: 2, epochs2: 1 });
  const whole = await recordedRun(config);
  const starts = whole.events.flatMap((e) => (e.type === 'phase' && e.event === 'start' ? [e] : []));
  assert.ok(starts.length === 2 && starts.every((e) => !('cache' in e) || !e.cache), `no feature cache: ${JSON.stringify(starts)}`);
  assert.equal(whole.history.length, 3);
  for (const h of whole.history) assert.ok(Number.isFinite(h.train_loss) && Number.isFinite(h.val_loss), JSON.stringify(h));
  const out = tempDir('tlearn-trivial-run-');
  assert.equal((await recordedRun(config, { out, abortAt: ['phase1', 2, 1] })).interrupted, true);
  const resumed = await recordedRun(config, { out, resume: true });
  assertSameRun(resumed, whole);
});
