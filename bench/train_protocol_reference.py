# The seed protocol in plain PyTorch, for bench/train-protocol.ts: torchvision ImageFolder + PIL + DataLoader,
# resnet50 with fc = Sequential(Dropout(0.5), Linear(2048, 1), Sigmoid()), BCELoss.
#   phase 1: only fc trains, Adam(1e-3), <= epochs1 epochs
#   phase 2: layer4 + fc train, a NEW Adam(1e-5), <= epochs2 epochs
# Each phase: early stopping on val AUC (max, patience 5), ReduceLROnPlateau on val loss (min, patience 3,
# factor 0.1), the best weights by val AUC kept and restored at the end of the phase. The final model is
# the better of the two phases' bests; its test AUC (scikit-learn) is reported. As the protocol names them,
# best_model_phase1/phase2/final are written (torch.save of the state_dict) whenever they improve, into a
# temporary folder removed at the end (tlearn writes its checkpoints too).
# bn_policy 'train' is the literal `model.train()` (frozen BatchNorm layers update their running statistics);
# 'eval' puts the BatchNorm layers of frozen parts in eval mode (as Keras, and tlearn's default).
# Usage: python3 train_protocol_reference.py '{"data": DIR, "size": 64, "batch": 32, "epochs1": 10,
#        "epochs2": 10, "threads": 2, "seed": 0, "bn_policy": "eval", "device": "cpu"}'   -> prints one JSON line
import copy, json, os, shutil, sys, tempfile, time
t_start = time.perf_counter()
import torch, torchvision
from torch import nn
from torchvision import transforms
from sklearn.metrics import roc_auc_score

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg['threads'])
dev = torch.device(cfg.get('device', 'cpu'))
torch.manual_seed(cfg['seed'])
size = cfg['size']
tf = transforms.Compose([
    transforms.Resize((size, size)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
ds = {s: torchvision.datasets.ImageFolder(f"{cfg['data']}/{s}", transform=tf) for s in ('train', 'val', 'test')}
loaders = {
    'train': torch.utils.data.DataLoader(ds['train'], batch_size=cfg['batch'], shuffle=True, num_workers=0),
    'val': torch.utils.data.DataLoader(ds['val'], batch_size=cfg['batch'], shuffle=False, num_workers=0),
    'test': torch.utils.data.DataLoader(ds['test'], batch_size=cfg['batch'], shuffle=False, num_workers=0),
}

model = torchvision.models.resnet50(weights=None)
model.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(2048, 1), nn.Sigmoid())
model.to(dev)
criterion = nn.BCELoss()


def set_modes():
    model.train()
    if cfg['bn_policy'] == 'eval':
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d) and not any(p.requires_grad for p in m.parameters()):
                m.eval()


def evaluate(split):
    model.eval()
    probs, labels, loss_sum = [], [], 0.0
    with torch.no_grad():
        for x, y in loaders[split]:
            x, y = x.to(dev), y.to(dev)
            p = model(x).squeeze(1)
            loss_sum += criterion(p, y.float()).item() * len(y)
            probs += p.cpu().tolist()
            labels += y.cpu().tolist()
    return loss_sum / len(labels), roc_auc_score(labels, probs)


history = []
out_dir = tempfile.mkdtemp(prefix='tlearn-bench-ref-')


def run_phase(name, trainable, lr, epochs):
    for p in model.parameters():
        p.requires_grad = False
    for m in trainable:
        for p in m.parameters():
            p.requires_grad = True
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', patience=3, factor=0.1)
    best_auc, best_state, best_epoch, wait = -1.0, None, 0, 0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        set_modes()
        n, loss_sum = 0, 0.0
        for x, y in loaders['train']:
            x, y = x.to(dev), y.to(dev)
            if len(y) == 1:
                continue  # BatchNorm cannot train on a batch of one
            opt.zero_grad()
            loss = criterion(model(x).squeeze(1), y.float())
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            n += len(y)
        val_loss, val_auc = evaluate('val')
        history.append({'phase': name, 'epoch': epoch, 'train_loss': loss_sum / n, 'val_loss': val_loss, 'val_auc': val_auc,
                        'lr': opt.param_groups[0]['lr'], 'seconds': time.perf_counter() - t0})
        sched.step(val_loss)
        wait += 1
        if val_auc > best_auc:
            best_auc, best_state, best_epoch, wait = val_auc, copy.deepcopy(model.state_dict()), epoch, 0
            torch.save(best_state, os.path.join(out_dir, f'best_model_{name}.pth'))
        elif wait >= 5 and epoch > 1:
            break
    model.load_state_dict(best_state)
    return best_auc, best_state, best_epoch


auc1, state1, epoch1 = run_phase('phase1', [model.fc], 1e-3, cfg['epochs1'])
auc2, state2, epoch2 = run_phase('phase2', [model.layer4, model.fc], 1e-5, cfg['epochs2'])
if auc1 > auc2:
    model.load_state_dict(state1)
torch.save(model.state_dict(), os.path.join(out_dir, 'best_model_final.pth'))
final = {'phase': 'phase1' if auc1 > auc2 else 'phase2', 'epoch': epoch1 if auc1 > auc2 else epoch2, 'val_auc': max(auc1, auc2)}
test_loss, test_auc = evaluate('test')
shutil.rmtree(out_dir)
print(json.dumps({'seconds': time.perf_counter() - t_start, 'test_auc': test_auc, 'final': final, 'history': history,
                  'torch': torch.__version__, 'threads': torch.get_num_threads()}))
