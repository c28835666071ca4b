# The multi-class and multi-label protocol in plain PyTorch (issue #16), for bench/train-protocol-multiclass.ts
# and for tests that compare tlearn's history with it. The binary protocol's own script is
# train_protocol_reference.py (unchanged); this one follows it step for step with another head and loss:
#   multiclass: fc = Sequential(Dropout(p), Linear(in, C)); softmax probabilities; CrossEntropyLoss on the logits
#               (label_smoothing, class_weight null | 'balanced' (sklearn compute_class_weight) | [w per class]);
#               val_auc = roc_auc_score(multi_class='ovr', average='macro'); accuracy = argmax
#   multilabel: fc = Sequential(Dropout(p), Linear(in, C), Sigmoid()); BCEWithLogitsLoss on the Linear output
#               (pos_weight null | 'auto' (n_neg / n_pos per label on train) | number | [w per label]);
#               val_auc = macro ROC AUC over the labels; accuracy = subset accuracy at 0.5
#   phase 1: only fc trains, Adam(lr1 = 1e-3), <= epochs1 epochs
#   phase 2: layer4 + fc train, a NEW Adam(lr2 = 1e-5), <= epochs2 epochs
# Each phase: early stopping on val AUC (max, patience 5), ReduceLROnPlateau on val loss (min, patience 3,
# factor 0.1), the best weights by val AUC kept (torch.save into a temporary folder, as the binary script) and
# restored at the end of the phase; the final model is the better of the two phases' bests. Losses: a batch's
# training loss is the criterion's mean (with class weights, PyTorch's weighted mean); an epoch's train_loss is
# the mean of batch loss x batch size; val/test loss = the criterion's sum over the images / their number.
#
# Data (the layouts tlearn reads, with the split given):
#   DIR/{train,val,test}/<class>/... (multiclass; classes = the sorted folder names of all splits), or
#   a CSV with columns path,label,split (paths relative to the CSV; tlearn's own run folder manifest.csv is one,
#   so a tlearn run's exact split can be replayed); multilabel: label holds ';'-separated names (or a `labels`
#   column does); classes = the sorted names, or cfg['classes'] to give the order.
# Usage: /usr/bin/python3 train_protocol_multi_reference.py '{"task": "multiclass", "data": DIR_OR_CSV, "size": 64,
#        "batch": 32, "epochs1": 10, "epochs2": 10, "threads": 2, "seed": 0, "bn_policy": "eval", "device": "cpu",
#        "arch": "resnet50", "weights": "none" | "FILE.pth"}'
# Prints one JSON line per epoch ({"event": "epoch", ...}) as it ends, then the result as the last line:
# {seconds, task, classes, weights_used, test_auc, test_accuracy, test_loss, final, history, torch, threads}; with
# "predictions": true also test_paths, test_probabilities and test_targets.
import copy, csv, json, math, os, shutil, sys, tempfile, time
t_start = time.perf_counter()
import numpy as np
import torch, torchvision
from PIL import Image
from torch import nn
from torchvision import transforms
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_class_weight

SPLITS = ('train', 'val', 'test')
IMAGE_EXT = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff')
cfg = {'arch': 'resnet50', 'weights': 'none', 'bn_policy': 'eval', 'device': 'cpu', 'lr1': 1e-3, 'lr2': 1e-5,
       'dropout': 0.5, 'label_smoothing': 0.0, 'class_weight': None, 'pos_weight': None, 'shuffle': True,
       'patience': 5, 'plateau_patience': 3, 'classes': None, **json.loads(sys.argv[1])}
task = cfg['task']
if task not in ('multiclass', 'multilabel'):
    sys.exit(f"task: expected multiclass or multilabel, got {task!r} (the binary protocol is train_protocol_reference.py)")
torch.set_num_threads(cfg['threads'])
dev = torch.device(cfg['device'])
torch.manual_seed(cfg['seed'])


def read_folder(root):
    """{split: [(path, [class names])]} from DIR/{train,val,test}/<class>/... (files found recursively)."""
    items = {s: [] for s in SPLITS}
    for s in SPLITS:
        d = os.path.join(root, s)
        if not os.path.isdir(d):
            continue
        for cls in sorted(os.listdir(d)):
            if cls.startswith('.') or not os.path.isdir(os.path.join(d, cls)):
                continue
            for dirpath, dirnames, files in os.walk(os.path.join(d, cls)):
                dirnames[:] = sorted(n for n in dirnames if not n.startswith('.'))
                items[s] += [(os.path.join(dirpath, f), [cls]) for f in sorted(files)
                             if not f.startswith('.') and f.lower().endswith(IMAGE_EXT)]
    return items


def read_csv(file):
    """{split: [(path, [class names])]} from a CSV path,label,split (label ';'-separated, or a labels column)."""
    items = {s: [] for s in SPLITS}
    base = os.path.dirname(os.path.abspath(file))
    with open(file, newline='', encoding='utf-8-sig') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f'{file}: no rows')
    col = 'labels' if 'labels' in rows[0] else 'label'
    for need in ('path', col, 'split'):
        if need not in rows[0]:
            sys.exit(f"{file}: no '{need}' column (the reference needs the split given: a tlearn run's manifest.csv has it)")
    for i, r in enumerate(rows, start=2):
        if r['split'] not in SPLITS:
            sys.exit(f"{file}: line {i}: split {r['split']!r} is not train, val or test")
        names = [n.strip() for n in r[col].split(';') if n.strip()] if task == 'multilabel' else [r[col]]
        items[r['split']].append((os.path.join(base, r['path']), names))
    return items


items = read_csv(cfg['data']) if os.path.isfile(cfg['data']) else read_folder(cfg['data'])
for s in SPLITS:
    if not items[s]:
        sys.exit(f"{cfg['data']}: no {s} images")
classes = cfg['classes'] or sorted({n for s in SPLITS for _, names in items[s] for n in names})
index = {c: i for i, c in enumerate(classes)}
C = len(classes)
for s in SPLITS:
    for p, names in items[s]:
        unknown = [n for n in names if n not in index]
        if unknown:
            sys.exit(f'{p}: label {unknown[0]!r} is not one of the classes {classes}')


def target(names):
    if task == 'multiclass':
        return index[names[0]]
    t = torch.zeros(C)
    t[[index[n] for n in names]] = 1.0
    return t


tf = transforms.Compose([
    transforms.Resize((cfg['size'], cfg['size'])),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


class Images(torch.utils.data.Dataset):
    def __init__(self, rows):
        self.rows = [(p, target(names)) for p, names in rows]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        p, t = self.rows[i]
        with Image.open(p) as im:
            return tf(im.convert('RGB')), t


ds = {s: Images(items[s]) for s in SPLITS}
loaders = {s: torch.utils.data.DataLoader(ds[s], batch_size=cfg['batch'], shuffle=(s == 'train' and cfg['shuffle']), num_workers=0)
           for s in SPLITS}

model = getattr(torchvision.models, cfg['arch'])(weights=None)
head = [nn.Dropout(cfg['dropout']), nn.Linear(model.fc.in_features, C)]
model.fc = nn.Sequential(*head) if task == 'multiclass' else nn.Sequential(*head, nn.Sigmoid())
if cfg['weights'] != 'none':
    # weights_only: tensors and plain containers, no arbitrary pickled objects are run.
    state = torch.load(cfg['weights'], map_location='cpu', weights_only=True)
    # A torchvision checkpoint's own head (fc.weight, fc.bias) is replaced, as tlearn replaces it.
    state = {k: v for k, v in state.items() if k not in ('fc.weight', 'fc.bias')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith('fc.') for k in missing):
        sys.exit(f"{cfg['weights']}: does not fit {cfg['arch']} (missing {missing[:3]}, unexpected {unexpected[:3]})")
model.to(dev)
# The Linear layer's output (the logits) for the loss; model(x) itself gives probabilities for multilabel.
captured = {}
model.fc[1].register_forward_hook(lambda m, i, o: captured.__setitem__('logits', o))

train_targets = [t for _, t in ds['train'].rows]
if task == 'multiclass':
    weight = cfg['class_weight']
    if weight == 'balanced':
        weight = compute_class_weight('balanced', classes=np.arange(C), y=np.array(train_targets)).tolist()
    weight_t = torch.tensor(weight, dtype=torch.float32, device=dev) if weight is not None else None
    loss_fn = lambda reduction: nn.CrossEntropyLoss(weight=weight_t, label_smoothing=cfg['label_smoothing'], reduction=reduction)
    weight_used = weight
else:
    pw = cfg['pos_weight']
    if pw == 'auto':
        pos = torch.stack(train_targets).sum(0)
        if (pos == 0).any():
            sys.exit(f"pos_weight auto: label {classes[int((pos == 0).nonzero()[0])]!r} has no positive training image")
        pw = ((len(train_targets) - pos) / pos).tolist()
    elif isinstance(pw, (int, float)):
        pw = [float(pw)] * C
    pw_t = torch.tensor(pw, dtype=torch.float32, device=dev) if pw is not None else None
    loss_fn = lambda reduction: nn.BCEWithLogitsLoss(pos_weight=pw_t, reduction=reduction)
    weight_used = pw
criterion, criterion_sum = loss_fn('mean'), loss_fn('sum')


def outputs(x):
    """(logits, probabilities) of a batch."""
    out = model(x)
    logits = captured['logits']
    return logits, (torch.softmax(logits, dim=1) if task == 'multiclass' else out)


def set_modes():
    model.train()
    if cfg['bn_policy'] == 'eval':
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d) and not any(p.requires_grad for p in m.parameters()):
                m.eval()


def evaluate(split):
    """(loss, macro AUC, accuracy, probabilities, targets) of a split."""
    model.eval()
    probs, targets, loss_sum = [], [], 0.0
    with torch.no_grad():
        for x, y in loaders[split]:
            x, y = x.to(dev), y.to(dev)
            logits, p = outputs(x)
            loss_sum += criterion_sum(logits, y).item()
            probs.append(p.cpu().double().numpy())
            targets.append(y.cpu().numpy())
    P, Y = np.concatenate(probs), np.concatenate(targets)
    if task == 'multiclass':
        # Two classes (softmax over 2): scikit-learn scores a binary y_true by the second column alone.
        auc = roc_auc_score(Y, P[:, 1]) if C == 2 else roc_auc_score(Y, P, multi_class='ovr', average='macro', labels=np.arange(C))
        acc = float((P.argmax(1) == Y).mean())
    else:
        auc = roc_auc_score(Y, P, average='macro')
        acc = float(((P >= 0.5) == (Y == 1)).all(1).mean())
    return loss_sum / len(Y), float(auc), acc, P, Y


history = []
out_dir = tempfile.mkdtemp(prefix='tlearn-bench-ref-')


def run_phase(name, trainable, lr, epochs):
    for p in model.parameters():
        p.requires_grad = False
    for m in trainable:
        for p in m.parameters():
            p.requires_grad = True
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', patience=cfg['plateau_patience'], factor=0.1)
    best_auc, best_state, best_epoch, wait = -math.inf, copy.deepcopy(model.state_dict()), 0, 0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        set_modes()
        n, loss_sum = 0, 0.0
        for x, y in loaders['train']:
            x, y = x.to(dev), y.to(dev)
            if len(y) == 1:
                continue  # BatchNorm cannot train on a batch of one
            opt.zero_grad()
            logits, _ = outputs(x)
            loss = criterion(logits, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            n += len(y)
        val_loss, val_auc, val_acc, _, _ = evaluate('val')
        row = {'phase': name, 'epoch': epoch, 'train_loss': loss_sum / n, 'val_loss': val_loss, 'val_auc': val_auc,
               'val_accuracy': val_acc, 'lr': opt.param_groups[0]['lr'], 'seconds': time.perf_counter() - t0}
        history.append(row)
        print(json.dumps({'event': 'epoch', **row}), flush=True)
        sched.step(val_loss)
        wait += 1
        if val_auc > best_auc:
            best_auc, best_state, best_epoch, wait = val_auc, copy.deepcopy(model.state_dict()), epoch, 0
            torch.save(best_state, os.path.join(out_dir, f'best_model_{name}.pth'))
        elif wait >= cfg['patience'] and epoch > 1:
            break
    model.load_state_dict(best_state)
    return best_auc, best_state, best_epoch


auc1, state1, epoch1 = run_phase('phase1', [model.fc], cfg['lr1'], cfg['epochs1'])
auc2, state2, epoch2 = run_phase('phase2', [model.layer4, model.fc], cfg['lr2'], cfg['epochs2'])
if auc1 > auc2:
    model.load_state_dict(state1)
torch.save(model.state_dict(), os.path.join(out_dir, 'best_model_final.pth'))
final = {'phase': 'phase1' if auc1 > auc2 else 'phase2', 'epoch': epoch1 if auc1 > auc2 else epoch2, 'val_auc': max(auc1, auc2)}
test_loss, test_auc, test_acc, test_p, test_y = evaluate('test')
shutil.rmtree(out_dir)
result = {'seconds': time.perf_counter() - t_start, 'task': task, 'classes': classes, 'weights_used': weight_used,
          'test_auc': test_auc, 'test_accuracy': test_acc, 'test_loss': test_loss, 'final': final, 'history': history,
          'torch': torch.__version__, 'threads': torch.get_num_threads()}
if cfg.get('predictions'):
    # The test split's probabilities and targets, in the order of the data's listing, for tests to check the metrics.
    result['test_paths'] = [p for p, _ in ds['test'].rows]
    result['test_probabilities'], result['test_targets'] = test_p.tolist(), test_y.tolist()
print(json.dumps(result))
