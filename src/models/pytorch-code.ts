// The Python that rebuilds a model file's network in PyTorch and loads the file into it strictly: torchvision's
// constructor for the architecture, the task's head put where the family keeps its final Linear (fc, classifier[1],
// heads.head, ...), then load_state_dict. `tlearn info` prints it; the README's interop section explains it.
import { familyInfo, type Arch } from './zoo.js';
import type { TaskKind } from './bounds.js';

export interface HeadShape {
  dropout: number;
  inFeatures: number;
  outputs: number;
  task: TaskKind;
}

/** A module path in Python: `classifier.1` is `classifier[1]` (Sequential children are indexed, not attributes). */
const pythonPath = (dotted: string): string => dotted.split('.').map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');

/** Lines of Python; `format` picks the loader (safetensors' load_file, or torch.load with weights_only). */
export function pytorchLoadCode(arch: Arch, head: HeadShape, file: string, format: 'safetensors' | 'pth'): string[] {
  // Multi-class models end in logits (tlearn applies the softmax); binary and multi-label heads end in a Sigmoid.
  const layers = [`torch.nn.Dropout(${head.dropout})`, `torch.nn.Linear(${head.inFeatures}, ${head.outputs})`];
  if (head.task !== 'multiclass') layers.push('torch.nn.Sigmoid()');
  const load = format === 'safetensors' ? `load_file(${JSON.stringify(file)})` : `torch.load(${JSON.stringify(file)}, weights_only=True)`;
  return [
    'import torch, torchvision',
    ...(format === 'safetensors' ? ['from safetensors.torch import load_file'] : []),
    `model = torchvision.models.${arch}()`,
    `model${pythonPath(familyInfo(arch).headPath)} = torch.nn.Sequential(${layers.join(', ')})`,
    `model.load_state_dict(${load})`,
    'model.eval()',
  ];
}
