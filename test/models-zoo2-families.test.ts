// ConvNeXt, RegNet and ViT as families of the zoo (issue 21), one architecture each at a small input (ViT: its
// fixed 224 px): a tlearn classifier saved as safetensors and .pth loads strictly into torchvision's model with the
// documented head (classifier[2], fc, heads.head = Sequential(Dropout(0.5), Linear(F, 1), Sigmoid())) and predicts
// the same; PyTorch's plain state_dict is recognised from its keys and predicts the same; `trainable: [last_stage,
// head]` selects the family's last stage and the head; the stages after a cached frozen prefix equal the forward.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../src/torch/index.js';
import {
  ARCH_INFO, ImageClassifier, expandTrainable, inferArch, loadBackboneRecords, loadModelFile, moduleToRecords, saveModelFile, type Arch,
} from '../src/models/index.js';
import { findWeights, listWeights } from '../src/io/index.js';
import { underPrefix } from '../src/nn/index.js';
import { readSafetensors } from '../src/io/index.js';
import { recordsToTensors } from '../src/models/index.js';
import { runPython } from './helpers/python.js';
import { PY_SAFETENSORS } from './helpers/py-safetensors.js';
import { PY_NO_INIT, assertRelClose } from './helpers/module-parity.js';
import { tempDir } from './helpers/temp.js';

interface Case {
  arch: Arch;
  size: number;
  /** How a PyTorch user puts the seed's head in place of torchvision's final Linear. */
  pyHead: string;
  /** What `trainable: [last_stage, head]` must unfreeze (torchvision module prefixes), and the first stage it trains. */
  lastStage: string[];
  head: string;
  firstTrainable: string;
  headStage: string;
  /** Every file path (.pth, safetensors, PyTorch's plain state_dict loaded back) or, for the big ones, safetensors
   *  into torchvision and recognition from the plain state_dict's keys and shapes (files of 115-350 MB cost seconds). */
  files: 'all' | 'safetensors';
}
const CASES: Case[] = [
  {
    arch: 'convnext_tiny', size: 64, pyHead: 'm.classifier[2] = head(m.classifier[2].in_features)',
    lastStage: ['features.6', 'features.7', 'classifier.0'], head: 'classifier.2', firstTrainable: 'features6', headStage: 'classifier', files: 'safetensors',
  },
  {
    arch: 'regnet_y_400mf', size: 64, pyHead: 'm.fc = head(m.fc.in_features)',
    lastStage: ['trunk_output.block4'], head: 'fc', firstTrainable: 'block4', headStage: 'fc', files: 'all',
  },
  {
    arch: 'vit_b_16', size: 224, pyHead: 'm.heads.head = head(m.heads.head.in_features)',
    lastStage: ['encoder.layers.encoder_layer_9', 'encoder.layers.encoder_layer_10', 'encoder.layers.encoder_layer_11', 'encoder.ln'],
    head: 'heads.head', firstTrainable: 'layer9', headStage: 'head', files: 'safetensors',
  },
];

const dir = tempDir('tlearn-zoo2-families-');
const models = new Map<Arch, ImageClassifier>();
function model(c: Case): ImageClassifier {
  let m = models.get(c.arch);
  if (!m) {
    // Random weights without ConvNeXt's and ViT's slow trunc_normal_ (the layers' default draws are random enough).
    torch.manualSeed(4);
    m = new ImageClassifier({ arch: c.arch, skipInit: true });
    m.eval();
    models.set(c.arch, m);
  }
  return m;
}

type PyOut = Record<string, [string, number[]][]> & { _weights: Record<string, [string, number, number, number, number, number, string, boolean]> };
let py: PyOut | undefined;
/** Saves every case's model, then one Python process loads them into torchvision, predicts, and gives the keys. */
function python(): PyOut {
  if (py) return py;
  for (const c of CASES) {
    saveModelFile(path.join(dir, `${c.arch}.safetensors`), model(c));
    if (c.files === 'all') saveModelFile(path.join(dir, `${c.arch}.pth`), model(c));
  }
  py = runPython(`
import torch, torchvision, struct, collections
from torch import nn
` + PY_SAFETENSORS + PY_NO_INIT + `
torch.set_num_threads(2)
head = lambda f: nn.Sequential(nn.Dropout(0.5), nn.Linear(f, 1), nn.Sigmoid())
import torchvision.models as M
keys = {'_weights': {}}
for e in [M.ConvNeXt_Tiny_Weights, M.ConvNeXt_Small_Weights, M.RegNet_Y_400MF_Weights, M.RegNet_Y_1_6GF_Weights, M.RegNet_Y_3_2GF_Weights, M.ViT_B_16_Weights]:
    for w in e:
        if 'SWAG' in w.name:
            continue
        t, mt = w.transforms(), w.meta['_metrics']['ImageNet-1K']
        keys['_weights'][w.url.split('/')[-1]] = [w.name, mt['acc@1'], mt['acc@5'], w.meta['num_params'], t.crop_size[0], t.resize_size[0], str(t.interpolation), e.DEFAULT.url.split('/')[-1] == w.url.split('/')[-1]]
for c in inp['cases']:
    a, d = c['arch'], inp['dir']
    m = getattr(torchvision.models, a)()
    exec(c['pyHead'])
    m.eval()
    x = torch.randn(2, 3, c['size'], c['size'], generator=torch.Generator().manual_seed(1))
    res = {'x': x}
    with torch.no_grad():
        m.load_state_dict(st_read(d + '/' + a + '.safetensors')[0], strict=True)
        res['p_st'] = m(x)
        if c['files'] == 'all':
            m.load_state_dict(torch.load(d + '/' + a + '.pth', weights_only=True), strict=True)
            res['p_pth'] = m(x)
            torch.save(m.state_dict(), d + '/' + a + '.plain.pth')
    st_write(d + '/' + a + '.io.safetensors', res)
    keys[a] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
out(keys)
`, { cases: CASES, dir });
  return py!;
}

for (const c of CASES) {
  test(`${c.arch}: a saved model loads strictly in torchvision with the documented head and predicts the same; PyTorch's plain state_dict is recognised`, () => {
    const keys = python()[c.arch];
    const io = recordsToTensors(readSafetensors(path.join(dir, `${c.arch}.io.safetensors`)).tensors);
    const x = io.get('x')!;
    try {
      torch.scope(() => {
        const ours = model(c).predictProba(x);
        assertRelClose(ours, io.get('p_st')!, `${c.arch} safetensors in torchvision`);
        if (c.files === 'all') assertRelClose(ours, io.get('p_pth')!, `${c.arch} .pth in torchvision`);
      });
      assert.deepEqual(model(c).stateSlots().map(([k, , , t]) => [k, t.shape]), keys, 'torchvision\'s keys with the documented head');
      const records = new Map(keys.map(([k, shape]) => [k, { dtype: 'float32' as const, shape, data: new Uint8Array(0) }]));
      assert.equal(inferArch(records), c.arch, 'recognised from the keys and shapes');
      if (c.files !== 'all') return;
      const loaded = loadModelFile(path.join(dir, `${c.arch}.plain.pth`));
      try {
        assert.equal(loaded.model.arch, c.arch, 'recognised from the file');
        assert.equal(loaded.fromTlearn, false);
        torch.scope(() => assertRelClose(loaded.model.predictProba(x), io.get('p_pth')!, `${c.arch} plain state_dict in tlearn`));
      } finally {
        loaded.model.dispose();
      }
    } finally {
      torch.dispose(io);
    }
  });

  test(`${c.arch}: trainable [last_stage, head] trains ${c.lastStage.join(', ')} and ${c.head}; the stages after a cached prefix equal the forward`, () => {
    const m = model(c);
    const x = torch.randn([1, 3, c.size, c.size]);
    try {
      const full = torch.noGrad(() => m.forward(x));
      for (const [names, prefixes, first] of [[['last_stage', 'head'], [...c.lastStage, c.head], c.firstTrainable], [['head'], [c.head], c.headStage]] as const) {
        m.freeze();
        m.unfreeze(expandTrainable(names, c.arch));
        const trainable = m.namedParameters().filter(([, p]) => p.requiresGrad).map(([n]) => n);
        const expected = m.namedParameters().map(([n]) => n).filter((n) => prefixes.some((p) => underPrefix(n, p)));
        assert.deepEqual(trainable, expected, `${names.join(', ')}: the trainable parameters`);
        assert.ok(trainable.some((n) => n.startsWith(`${c.head}.1.`)), 'the head\'s Linear trains');
        assert.equal(m.firstTrainableStage(), first);
      }
      // Phase 2's cache: the frozen stages' output, then the stages from the first trainable one.
      torch.noGrad(() => torch.scope(() => {
        const stages = m.stages;
        const cached = m.forwardStages(x, stages[0], stages[stages.indexOf(c.firstTrainable) - 1]);
        assert.ok(m.forwardStages(cached, c.firstTrainable).equal(full), `stages from ${c.firstTrainable} on the cached prefix`);
      }));
      full.dispose();
    } finally {
      x.dispose();
      m.unfreeze();
    }
  });
}

test('vit_b_16: pretrained weights with the pre-0.14 MLP keys (torchvision\'s own file) load as the upgrade hook renames them', () => {
  const m = model(CASES[2]!);
  const old = new Map([...moduleToRecords(m)].map(([k, r]) => [k.replace(/\.mlp\.0\./, '.mlp.linear_1.').replace(/\.mlp\.3\./, '.mlp.linear_2.'), r]));
  assert.ok(old.has('encoder.layers.encoder_layer_0.mlp.linear_1.weight'));
  const w = m.getSubmodule('encoder.layers.encoder_layer_0.mlp.0') as unknown as { weight: torch.Tensor };
  const before = w.weight.clone();
  torch.noGrad(() => w.weight.zero_());
  loadBackboneRecords(m, old, 'vit_b_16-c867db91.pth');
  assert.ok(w.weight.equal(before), 'mlp.0.weight loaded from mlp.linear_1.weight');
  before.dispose();
});

test('the weights registry holds torchvision\'s ConvNeXt, RegNetY and ViT-B/16 ImageNet files with their metrics and eval transforms', () => {
  const tv = python()._weights;
  const ours = listWeights().filter((w) => w.source === 'torchvision' && /^(convnext|regnet|vit)/.test(w.arch));
  assert.deepEqual(ours.map((w) => w.filename).sort(), Object.keys(tv).sort(), 'the same files');
  for (const w of ours) {
    const [version, acc1, acc5, numParams, crop, resize, interpolation, isDefault] = tv[w.filename]!;
    assert.deepEqual([w.version, w.acc1, w.acc5, w.numParams, w.cropSize, w.resizeSize], [version, acc1, acc5, numParams, crop, resize], w.filename);
    const info = ARCH_INFO[w.arch as Arch];
    assert.equal(info.numParams, numParams, `${w.arch} parameter count`);
    if (isDefault) {
      // The arch's default size, resize and interpolation are those of torchvision's default weights; 'imagenet' finds them.
      assert.deepEqual([info.imageSize, info.resizeSize, `InterpolationMode.${info.interpolation.toUpperCase()}`], [crop, resize, interpolation], `${w.arch} defaults`);
      assert.equal(findWeights('imagenet', w.arch).filename, w.filename);
    }
  }
});

test.after(() => {
  for (const m of models.values()) m.dispose();
});
