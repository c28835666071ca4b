// The automatic augmentations' cost (augment trivial, randaugment): milliseconds per image for each of the 14
// operations on a 224 px uint8 image, tlearn's libtorch ops (src/data/auto-augment.ts) against torchvision's own
// _apply_op on the same image and strengths, each side timed over the same number of images with one thread.
//
//   npx tsx bench/auto-augment.ts [--size 224] [--n 200]      (or node dist/bench/auto-augment.js)
//
// Measured 2026-12-07 on the 2-core machine, quiet (224 px, 200 images per operation, one thread), ms per image
// tlearn / torchvision: shears, translations, rotation 0.47-0.52 / 0.40-0.41, brightness 0.09 / 0.14, colour and
// contrast 0.38-0.39 / 0.19-0.20, sharpness 0.88 / 20.2, posterize 0.029 / 0.030 (bitwise_and, as torchvision),
// solarize, autocontrast, equalize 0.25-0.55 / 0.23-0.59; mean 0.38 / 1.70. (Figures before that day's fix kept
// every result alive until the end of the operation's loop, so that each image was made in fresh memory.)
import { applyOp, augmentMagnitude } from '../src/data/auto-augment.js';
import { AUGMENT_OPS } from '../src/data/auto-augment-draw.js';
import { scope, setNumThreads, tensor } from '../src/torch/index.js';
import { flagArgs, runPythonBench } from './common.js';

const flags = flagArgs();
const size = Number(flags.size ?? 224);
const n = Number(flags.n ?? 200);
setNumThreads(1);

const pixels = Uint8Array.from({ length: 3 * size * size }, (_, i) => (i * 2654435761) >>> 24);
const step = (op: (typeof AUGMENT_OPS)[number]) => ({ op, bin: 20, negative: false });

const ours: Record<string, number> = {};
scope(() => {
  const img = tensor(pixels, { shape: [1, 3, size, size] });
  for (const op of AUGMENT_OPS) {
    const m = augmentMagnitude('trivial', step(op), size, size);
    // The result is not returned from the scope, so it is freed at once, as torchvision's is: a returned tensor would
    // live on in the outer scope, and every image would be made in fresh memory (page faults, not the operation).
    scope(() => { applyOp(img, op, m); }); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) scope(() => { applyOp(img, op, m); });
    ours[op] = (performance.now() - t0) / n;
  }
});

const ref = runPythonBench<Record<string, number>>(`
import time, torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import TrivialAugmentWide, _apply_op
torch.set_num_threads(1)
space = TrivialAugmentWide()._augmentation_space(31)
s = inp['size']
# The same pixels as tlearn's side: (i · 2654435761 mod 2³²) >> 24.
img = torch.tensor([((i * 2654435761) % 2**32) >> 24 for i in range(3 * s * s)], dtype=torch.uint8).reshape(1, 3, s, s)
res = {}
for op in inp['ops']:
    mags, _ = space[op]
    m = float(mags[20].item()) if mags.ndim > 0 else 0.0
    _apply_op(img, op, m, InterpolationMode.NEAREST, None)
    t0 = time.perf_counter()
    for _ in range(inp['n']):
        _apply_op(img, op, m, InterpolationMode.NEAREST, None)
    res[op] = (time.perf_counter() - t0) / inp['n'] * 1000
print(json.dumps(res))
`, { size, n, ops: AUGMENT_OPS }, 1);

console.log(`auto-augment operations, ${size} px, ${n} images each, one thread: ms per image`);
console.log(`${'operation'.padEnd(14)}${'tlearn'.padStart(9)}${'torchvision'.padStart(13)}${'ratio'.padStart(8)}`);
let sumOurs = 0, sumRef = 0;
for (const op of AUGMENT_OPS) {
  sumOurs += ours[op]!;
  sumRef += ref[op]!;
  console.log(`${op.padEnd(14)}${ours[op]!.toFixed(3).padStart(9)}${ref[op]!.toFixed(3).padStart(13)}${(ours[op]! / ref[op]!).toFixed(2).padStart(8)}`);
}
// TrivialAugment draws each operation equally often: the mean is its cost per image.
console.log(`${'mean'.padEnd(14)}${(sumOurs / AUGMENT_OPS.length).toFixed(3).padStart(9)}${(sumRef / AUGMENT_OPS.length).toFixed(3).padStart(13)}${(sumOurs / sumRef).toFixed(2).padStart(8)}`);
