// timm's names for torchvision's own ImageNet weights. timm republishes them on the Hugging Face hub as
// safetensors (https://huggingface.co/timm/<name>/resolve/<revision>/model.safetensors): the pairs below are timm's
// pretrained cfgs (timm/models/resnet.py and regnet.py, each `*.tv_in1k` / `*.tv2_in1k` entry's `url`, which is the
// torchvision file it converted). A ResNet's keys are torchvision's; a RegNetY's are timm's own layout, renamed back
// by src/models/regnet-timm.ts. torchvision's names carry a SHA-256 prefix; timm's do not: where the file's SHA-256
// is known it is checked in full, otherwise the file must be a complete safetensors file whose parameters add up
// to torchvision's documented count (and the backbone then loads strictly: every key, every shape).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors } from './safetensors.js';
import type { StateDictRecords } from './dtypes.js';
import type { WeightsEntry } from './weights.js';

type Env = Record<string, string | undefined>;

interface TimmName {
  /** timm's name (also its hub repository timm/<name>). */
  name: string;
  /** The torchvision file timm's pretrained cfg names as its origin. */
  torchvisionFile: string;
  /** The file's SHA-256 and the hub revision it was recorded at, where known (see the note below). */
  sha256?: string;
  revision?: string;
}

// The three SHA-256 values (and revisions) are those recorded by projects that pin these hub files; resnet18's
// and resnet50's agree across several independent projects (and across revisions), resnet34's comes from one.
const TIMM_NAMES: readonly TimmName[] = [
  { name: 'resnet18.tv_in1k', torchvisionFile: 'resnet18-f37072fd.pth', revision: 'bbd144b3e5565108aad885f145491d11bc6ce807', sha256: '694f673df6520a3158624e8a89af086f59923ee4cd7436fe5bc3bc71d295ad81' },
  { name: 'resnet34.tv_in1k', torchvisionFile: 'resnet34-b627a593.pth', revision: '1b7b21cca82ff974d341713f777bf740c2db38c4', sha256: '0bb82595a564991a9d424708b33f5d843f5aaed7f6c0886ff10849ff97022235' },
  { name: 'resnet50.tv_in1k', torchvisionFile: 'resnet50-0676ba61.pth', revision: '78f3ecfdb38e06d9b8397f662e7ab8fee96026fa', sha256: '5d061a3c593d795bfe682d9b152bafbcf550579873492def3515b46db1189888' },
  { name: 'resnet50.tv2_in1k', torchvisionFile: 'resnet50-11ad3fa6.pth' },
  { name: 'resnet101.tv_in1k', torchvisionFile: 'resnet101-63fe2227.pth' },
  { name: 'resnet101.tv2_in1k', torchvisionFile: 'resnet101-cd907fc2.pth' },
  { name: 'resnet152.tv_in1k', torchvisionFile: 'resnet152-394f9c45.pth' },
  { name: 'resnet152.tv2_in1k', torchvisionFile: 'resnet152-f82ba261.pth' },
  { name: 'regnety_004.tv2_in1k', torchvisionFile: 'regnet_y_400mf-e6988f5f.pth' },
  { name: 'regnety_016.tv2_in1k', torchvisionFile: 'regnet_y_1_6gf-0d7bc02a.pth' },
  { name: 'regnety_032.tv2_in1k', torchvisionFile: 'regnet_y_3_2gf-9180c971.pth' },
];

const REVISIONS = new Map(TIMM_NAMES.map((t) => [t.name, t.revision ?? 'main']));

/** timm's entries, each built from the torchvision entry of the file it republishes (arch, metrics, transform). */
export function timmEntries(torchvision: readonly WeightsEntry[]): WeightsEntry[] {
  return TIMM_NAMES.map((t) => {
    const tv = torchvision.find((w) => w.filename === t.torchvisionFile);
    if (!tv) throw new Error(`timm weights ${t.name}: no torchvision entry for ${t.torchvisionFile}`);
    return {
      ...tv, name: t.name, aliases: [], filename: `${t.name}.safetensors`, source: 'timm', sha256: t.sha256,
      description: `timm ${t.name}: torchvision ${tv.arch} ${tv.version} as safetensors (ImageNet-1k top-1 ${tv.acc1}%)`,
    };
  });
}

/** The hub's address: HF_ENDPOINT (a mirror), else huggingface.co, as huggingface_hub reads it. */
export function huggingFaceEndpoint(env: Env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

/** Where a timm entry's file is downloaded from. */
export function timmUrl(entry: WeightsEntry, env: Env): string {
  return `${huggingFaceEndpoint(env)}/timm/${entry.name}/resolve/${REVISIONS.get(entry.name) ?? 'main'}/model.safetensors`;
}

/** huggingface_hub's cache folder: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub (HF_HOME: XDG, ~/.cache). */
export function huggingFaceHubCache(env: Env): string {
  const hub = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (hub) return path.resolve(hub);
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(env.HOME ?? os.homedir(), '.cache'), 'huggingface');
  return path.join(path.resolve(home), 'hub');
}

/** The copies of a timm entry's file that huggingface_hub (timm.create_model(..., pretrained=True)) downloaded. */
export function huggingFaceCachedFiles(entry: WeightsEntry, env: Env): string[] {
  const snapshots = path.join(huggingFaceHubCache(env), `models--timm--${entry.name}`, 'snapshots');
  let revisions: string[];
  try {
    revisions = fs.readdirSync(snapshots);
  } catch { return []; }
  return revisions.sort().map((r) => path.join(snapshots, r, 'model.safetensors')).filter((f) => fs.existsSync(f));
}

const BUFFER_SUFFIXES = ['.running_mean', '.running_var', '.num_batches_tracked'];

/**
 * Why a timm file without a known SHA-256 is not the expected one (undefined when it is): not a complete
 * safetensors file, or its parameters (every tensor but BatchNorm's buffers) do not add up to torchvision's count.
 */
export function timmFileProblem(entry: WeightsEntry, file: string): string | undefined {
  let tensors: StateDictRecords;
  try {
    tensors = readSafetensors(file).tensors;
  } catch (e) { return (e as Error).message.replace(`${file}: `, 'it is '); }
  let params = 0;
  for (const [key, r] of tensors) {
    if (!BUFFER_SUFFIXES.some((s) => key.endsWith(s))) params += r.shape.reduce((a, b) => a * b, 1);
  }
  if (params !== entry.numParams) {
    return `it holds ${params} parameters, ${entry.name} (torchvision ${entry.arch} ${entry.version}) has ${entry.numParams}`;
  }
  return undefined;
}
