// Multi-class and multi-label training end to end, against PyTorch: a 3-class and a 4-label run on tiny
// generated images (resnet18 from random init, 32 px, dropout 0, one full batch per epoch, 3 + 2 epochs of the
// seed's two phases) must give the history of the same protocol written in plain PyTorch from the same initial
// weights (torch.manual_seed before building the model, as tlearn's manualSeed), within float tolerance. Then
// the run's files: metadata (task, classes, thresholds), the evaluation, predict's output, and the .pth loading
// strictly into torchvision with the documented head.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runPython } from './helpers/python.js';
import { cliIn } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { loadCheckpoint } from '../src/io/index.js';

after(removeTempDirs);

const SEED = 7;

/** Writes the images (PNG, 32x32) and returns how they are labelled: class folders or a multi-label CSV. */
const PY_DATA = String.raw`
import numpy as np, os
from PIL import Image
root, task, n = inp['root'], inp['task'], inp['n']
rng = np.random.default_rng(inp['seed'])
rows = []
def save(rel, x):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    Image.fromarray(np.clip(x, 0, 255).astype(np.uint8)).save(p)
for split, count in n.items():
    for i in range(count):
        x = rng.normal(110, 30, (32, 32, 3))
        if task == 'multiclass':
            c = i % 3
            x[:, :, c] += 60
            save(f'{split}/class{c}/{i}.png', x)
        else:
            labels = [j for j in range(4) if (i >> j) & 1] if split != 'train' else [j for j in range(4) if rng.random() < 0.5]
            if split != 'train' and i >= 16: labels = [j for j in range(4) if rng.random() < 0.5]
            for j in labels:
                q = (slice(0, 16) if j < 2 else slice(16, 32), slice(0, 16) if j % 2 == 0 else slice(16, 32))
                x[q[0], q[1], :] += 70
            rel = f'img/{split}_{i}.png'
            save(rel, x)
            rows.append((rel, ';'.join(f'l{j}' for j in labels), split))
if task == 'multilabel':
    with open(os.path.join(root, 'labels.csv'), 'w') as f:
        f.write('path,labels,split\n')
        for r in rows: f.write(','.join(r) + '\n')
out(rows)
`;

/** The seed's two phases in plain PyTorch, full batch, from torch.manual_seed(seed); the history rows. */
const PY_PROTOCOL = String.raw`
import numpy as np, torch, torchvision
from torch import nn
from PIL import Image
from sklearn.metrics import roc_auc_score
torch.set_num_threads(2)
task, classes, seed = inp['task'], inp['classes'], inp['seed']
C = len(classes)
mean = np.array([0.485, 0.456, 0.406], dtype=np.float32); std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
def image(p):
    x = np.asarray(Image.open(p).convert('RGB'), dtype=np.float32) / 255
    return torch.from_numpy(((x - mean) / std).astype(np.float32)).permute(2, 0, 1)
data = {}
for split in ['train', 'val']:
    its = [it for it in inp['items'] if it['split'] == split]
    X = torch.stack([image(it['path']) for it in its])
    if task == 'multiclass': Y = torch.tensor([it['label'] for it in its])
    else:
        Y = torch.zeros(len(its), C)
        for k, it in enumerate(its):
            for j in it['labels']: Y[k, j] = 1
    data[split] = (X, Y)
torch.manual_seed(seed)
m = torchvision.models.resnet18()
m.fc = nn.Sequential(nn.Dropout(0.0), nn.Linear(512, C), *([nn.Sigmoid()] if task == 'multilabel' else []))
body = nn.Sequential(*list(m.children())[:-1])
def logits(x): return m.fc[1](m.fc[0](torch.flatten(body(x), 1)))
loss_fn = nn.CrossEntropyLoss() if task == 'multiclass' else nn.BCEWithLogitsLoss()
def scores(o, Y):
    if task == 'multiclass':
        p = torch.softmax(o, 1)
        acc = (p.argmax(1) == Y).float().mean().item()
        try: auc = roc_auc_score(Y.numpy(), p.numpy(), multi_class='ovr', average='macro', labels=list(range(C)))
        except ValueError: auc = float('nan')
    else:
        p = torch.sigmoid(o)
        acc = ((p >= 0.5).float() == Y).all(1).float().mean().item()
        try: auc = roc_auc_score(Y.numpy(), p.numpy(), average='macro')
        except ValueError: auc = float('nan')
    return acc, auc
history = []
for name, trainable, lr, epochs in [('phase1', ['fc'], 1e-3, 3), ('phase2', ['layer4', 'fc'], 1e-5, 2)]:
    for pname, p in m.named_parameters(): p.requires_grad = pname.split('.')[0] in trainable
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=lr)
    best, best_state = -1.0, None
    for epoch in range(1, epochs + 1):
        m.eval()
        for t in trainable: getattr(m, t).train()
        X, Y = data['train']
        opt.zero_grad()
        o = logits(X)
        loss = loss_fn(o, Y)
        loss.backward()
        opt.step()
        train_acc, _ = scores(o.detach(), Y)
        m.eval()
        with torch.no_grad():
            Xv, Yv = data['val']
            ov = logits(Xv)
            val_loss = loss_fn(ov, Yv).item()
            val_acc, val_auc = scores(ov, Yv)
        history.append({'phase': name, 'epoch': epoch, 'train_loss': loss.item(), 'train_accuracy': train_acc,
                        'val_loss': val_loss, 'val_accuracy': val_acc, 'val_auc': val_auc})
        if val_auc > best:
            best, best_state = val_auc, {k: v.clone() for k, v in m.state_dict().items()}
    m.load_state_dict(best_state)
out(history)
`;

const flags = (out: string) => [
  '--out', out, '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--batch-size', '64', '--epochs1', '3', '--epochs2', '2',
  '--dropout', '0', '--augment', 'none', '--seed', String(SEED), '--threads', '2', '--checkpoint-format', 'both', '--json',
];

interface HistoryRow { phase: string; epoch: number; train_loss: number; train_accuracy: number; val_loss: number; val_accuracy: number; val_auc: number }

function readHistory(run: string): HistoryRow[] {
  return fs.readFileSync(path.join(run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HistoryRow);
}

function assertSameHistory(ours: HistoryRow[], theirs: HistoryRow[]): void {
  assert.equal(ours.length, theirs.length, 'epochs');
  ours.forEach((r, i) => {
    const t = theirs[i]!;
    assert.equal(`${r.phase}/${r.epoch}`, `${t.phase}/${t.epoch}`);
    for (const k of ['train_loss', 'val_loss'] as const) {
      assert.ok(Math.abs(r[k] - t[k]) <= 1e-4 * Math.max(1, Math.abs(t[k])), `${r.phase} epoch ${r.epoch} ${k}: ${r[k]} vs PyTorch ${t[k]}`);
    }
    for (const k of ['train_accuracy', 'val_accuracy', 'val_auc'] as const) {
      assert.ok(Math.abs(r[k] - t[k]) <= 1e-6, `${r.phase} epoch ${r.epoch} ${k}: ${r[k]} vs PyTorch ${t[k]}`);
    }
  });
}

test('multiclass: a 3-class run equals the same protocol in PyTorch; its model, evaluation and predictions are per class', async () => {
  const dir = tempDir('tlearn-multiclass-');
  const data = path.join(dir, 'data');
  runPython(PY_DATA, { root: data, task: 'multiclass', n: { train: 24, val: 12, test: 9 }, seed: 1 });
  const run = path.join(dir, 'run');
  const r = await cliIn(dir)(['train', data, ...flags(run)]);
  assert.equal(r.code, 0, r.err);
  const start = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'start');
  assert.equal(start.task, 'multiclass');
  assert.deepEqual(start.classes, ['class0', 'class1', 'class2']);

  const classes = ['class0', 'class1', 'class2'];
  const items = ['train', 'val'].flatMap((split) => classes.flatMap((c, label) =>
    fs.readdirSync(path.join(data, split, c)).map((f) => ({ path: path.join(data, split, c, f), label, split }))));
  const theirs = runPython<HistoryRow[]>(PY_PROTOCOL, { task: 'multiclass', classes, seed: SEED, items });
  assertSameHistory(readHistory(run), theirs);

  // The checkpoint says what it is; the .pth loads strictly into torchvision's resnet18 with the documented head.
  const meta = loadCheckpoint(path.join(run, 'best_model_final.safetensors')).metadata as Record<string, unknown>;
  assert.equal(meta.task, 'multiclass');
  assert.deepEqual(meta.classes, classes);
  assert.equal(meta.positiveClass, null);
  const metrics = JSON.parse(fs.readFileSync(path.join(run, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(metrics.task, 'multiclass');
  assert.equal(metrics.n, 9);
  assert.equal(metrics.confusion_matrix.length, 3);
  assert.ok(fs.existsSync(path.join(run, 'eval', 'confusion_matrix.svg')) && fs.existsSync(path.join(run, 'report.html')));
  // tlearn evaluate on the same test split: the same metrics, and a summary in words.
  const ev = await cliIn(dir)(['evaluate', path.join(run, 'best_model_final.safetensors'), data, '--split', 'test', '--out', path.join(dir, 'eval2')]);
  assert.equal(ev.code, 0, ev.err);
  assert.match(ev.out, /n=9 {2}task=multiclass {2}classes=class0,class1,class2\naccuracy \d\.\d{4} \(95% CI \d\.\d{3}-\d\.\d{3}\) {2}balanced accuracy/);
  const again = JSON.parse(fs.readFileSync(path.join(dir, 'eval2', 'metrics.json'), 'utf8'));
  assert.deepEqual(again.confusion_matrix, metrics.confusion_matrix);
  assert.equal(again.accuracy, metrics.accuracy);

  const images = fs.readdirSync(path.join(data, 'test', 'class1')).map((f) => path.join(data, 'test', 'class1', f));
  const p = await cliIn(dir)(['predict', path.join(run, 'best_model_final.safetensors'), ...images, '--json', '--top-k', '2']);
  assert.equal(p.code, 0, p.err);
  const rows = JSON.parse(p.out) as { path: string; label: string; probability: number; probabilities: Record<string, number>; top_k: { label: string }[] }[];
  const py = runPython<number[][]>(String.raw`
import numpy as np, torch, torchvision
from torch import nn
from PIL import Image
sd = torch.load(inp['pth'], weights_only=True)
m = torchvision.models.resnet18()
m.fc = nn.Sequential(nn.Dropout(0.0), nn.Linear(512, 3))
m.load_state_dict(sd, strict=True)
m.eval()
mean = np.array([0.485, 0.456, 0.406], dtype=np.float32); std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
x = torch.stack([torch.from_numpy(((np.asarray(Image.open(p).convert('RGB'), dtype=np.float32) / 255 - mean) / std).astype(np.float32)).permute(2, 0, 1) for p in inp['images']])
with torch.no_grad(): out(torch.softmax(m(x), 1).tolist())
`, { pth: path.join(run, 'best_model_final.pth'), images });
  rows.forEach((row, i) => {
    classes.forEach((c, j) => assert.ok(Math.abs(row.probabilities[c]! - py[i]![j]!) <= 1e-5, `${c}: ${row.probabilities[c]} vs PyTorch ${py[i]![j]}`));
    const best = py[i]!.indexOf(Math.max(...py[i]!));
    assert.equal(row.label, classes[best]);
    assert.equal(row.top_k.length, 2);
    assert.equal(row.top_k[0]!.label, row.label);
  });
});

test('multilabel: a 4-label CSV run equals the same protocol in PyTorch; thresholds per label; predictions list labels', async () => {
  const dir = tempDir('tlearn-multilabel-');
  const data = path.join(dir, 'data');
  const rows = runPython<[string, string, string][]>(PY_DATA, { root: data, task: 'multilabel', n: { train: 32, val: 20, test: 16 }, seed: 2 });
  const run = path.join(dir, 'run');
  const r = await cliIn(dir)(['train', path.join(data, 'labels.csv'), ...flags(run), '--threshold-method', 'f1']);
  assert.equal(r.code, 0, r.err);
  const classes = ['l0', 'l1', 'l2', 'l3'];
  const items = rows.filter(([, , split]) => split !== 'test').map(([rel, labels, split]) => ({
    path: path.join(data, rel), split, labels: labels === '' ? [] : labels.split(';').map((l) => classes.indexOf(l)),
  }));
  const theirs = runPython<HistoryRow[]>(PY_PROTOCOL, { task: 'multilabel', classes, seed: SEED, items });
  assertSameHistory(readHistory(run), theirs);

  const meta = loadCheckpoint(path.join(run, 'best_model_final.safetensors')).metadata as Record<string, unknown>;
  assert.equal(meta.task, 'multilabel');
  assert.deepEqual(meta.classes, classes);
  const thresholds = meta.thresholds as number[];
  assert.equal(thresholds.length, 4);
  for (const t of thresholds) assert.ok(t >= 0 && t <= 1);
  const metrics = JSON.parse(fs.readFileSync(path.join(run, 'eval', 'metrics.json'), 'utf8'));
  assert.equal(metrics.task, 'multilabel');
  assert.deepEqual(metrics.thresholds, thresholds);
  assert.ok(typeof metrics.hamming_loss === 'number' && typeof metrics.subset_accuracy === 'number');
  const ev = await cliIn(dir)(['evaluate', path.join(run, 'best_model_final.safetensors'), path.join(data, 'labels.csv'), '--split', 'test', '--out', path.join(dir, 'eval2'), '--json']);
  assert.equal(ev.code, 0, ev.err);
  const again = JSON.parse(ev.out);
  assert.equal(again.task, 'multilabel');
  assert.equal(again.n, 16);
  assert.equal(again.hamming_loss, metrics.hamming_loss);

  const image = path.join(data, rows.find(([, , s]) => s === 'test')![0]);
  const p = await cliIn(dir)(['predict', path.join(run, 'best_model_final.safetensors'), image, '--json']);
  assert.equal(p.code, 0, p.err);
  const [row] = JSON.parse(p.out) as { labels: string[]; probabilities: Record<string, number> }[];
  assert.deepEqual(row!.labels, classes.filter((c, j) => row!.probabilities[c]! >= thresholds[j]!));
  // --threshold replaces every label's threshold: at 0 every label is predicted.
  const all = await cliIn(dir)(['predict', path.join(run, 'best_model_final.safetensors'), image, '--json', '--threshold', '0']);
  assert.deepEqual((JSON.parse(all.out) as { labels: string[] }[])[0]!.labels, classes);
  const csv = await cliIn(dir)(['predict', path.join(run, 'best_model_final.safetensors'), image, '--csv']);
  assert.equal(csv.out.split('\n')[0], 'path,labels,l0,l1,l2,l3');
});

test('--task multiclass on two classes trains a softmax over 2 (no positive class); its probabilities sum to 1', async () => {
  const dir = tempDir('tlearn-multiclass2-');
  const data = path.join(dir, 'data');
  runPython(PY_DATA, { root: data, task: 'multiclass', n: { train: 12, val: 6, test: 3 }, seed: 3 });
  fs.rmSync(path.join(data, 'train', 'class2'), { recursive: true });
  fs.rmSync(path.join(data, 'val', 'class2'), { recursive: true });
  fs.rmSync(path.join(data, 'test', 'class2'), { recursive: true });
  const run = path.join(dir, 'run');
  const r = await cliIn(dir)(['train', data, ...flags(run).filter((f) => f !== '--json'), '--task', 'multiclass', '--epochs2', '0']);
  assert.equal(r.code, 0, r.err);
  const meta = loadCheckpoint(path.join(run, 'best_model_final.safetensors')).metadata as Record<string, unknown>;
  assert.equal(meta.task, 'multiclass');
  assert.deepEqual(meta.classes, ['class0', 'class1']);
  assert.equal(meta.positiveClass, null);
  const image = path.join(data, 'test', 'class0', fs.readdirSync(path.join(data, 'test', 'class0'))[0]!);
  const p = await cliIn(dir)(['predict', path.join(run, 'best_model_final.safetensors'), image, '--json']);
  const [row] = JSON.parse(p.out) as { probabilities: Record<string, number> }[];
  assert.ok(Math.abs(row!.probabilities.class0! + row!.probabilities.class1! - 1) < 1e-6);
});
