// Model files the CLI and evaluation tests start from: a tiny tlearn checkpoint, and a plain state_dict
// saved by PyTorch itself the way the seed notebook saves one.
import path from 'node:path';
import { manualSeed } from '../../src/torch/index.js';
import { BinaryClassifier, saveModelFile } from '../../src/models/index.js';
import { runPython } from './python.js';

/** DIR/model.safetensors: a seeded random resnet18 classifier for cat/dog at 32 px (threshold 0.5). */
export function tinyModelFile(dir: string, extra?: Record<string, unknown>): string {
  manualSeed(1);
  const m = new BinaryClassifier({ arch: 'resnet18' });
  const file = path.join(dir, 'model.safetensors');
  try {
    saveModelFile(file, m, { classes: ['cat', 'dog'], positiveClass: 'dog', imageSize: 32, threshold: 0.5, ...(extra ? { extra } : {}) });
  } finally {
    m.dispose();
  }
  return file;
}

/** FILE: torchvision's resnet18 with the seed's head, written by torch.save(model.state_dict()) (no tlearn metadata). */
export function seedStateDictPth(file: string): void {
  runPython(`
import torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18()
m.fc = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(512, 1), torch.nn.Sigmoid())
torch.save(m.state_dict(), inp)
out(True)
`, file);
}
