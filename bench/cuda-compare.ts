// cuda-check's comparisons of a device against the CPU, with the device as an argument so that the test suite
// can run them CPU against CPU (test/bench-cuda-check.test.ts) where there is no GPU.
import * as torch from '../src/torch/index.js';
import { F, type Tensor } from '../src/torch/index.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/data/index.js';
import { imagesTensor } from '../src/data/tensor.js';

/** max |a - b| / max |b| (b the CPU reference; its max floored at 1e-6). NaN anywhere gives NaN. */
export const maxRel = (a: Tensor, b: Tensor): number =>
  torch.scope(() => a.cpu().float().sub(b.cpu().float()).abs().max().item() / Math.max(1e-6, b.cpu().float().abs().max().item()));

/** A small conv net's loss, gradients and BatchNorm running mean on `device` against the CPU (max relative differences). */
export function opsMaxRelDiffVsCpu(device: string): Record<string, number> {
  return torch.scope(() => {
    torch.manualSeed(0);
    const x = torch.randn([4, 3, 16, 16]);
    const w = torch.randn([8, 3, 3, 3]).mul_(0.2);
    const g = torch.ones([8]);
    const b = torch.zeros([8]);
    const lw = torch.randn([1, 8]).mul_(0.3);
    const y = torch.rand([4, 1]).gt(0.5).float();
    const run = (dev: string) =>
      torch.scope(() => {
        const [xd, wd, gd, bd, lwd, yd] = [x, w, g, b, lw, y].map((t) => t.detach().to(dev));
        for (const t of [wd, gd, bd, lwd]) t.requiresGrad_();
        const rm = torch.zeros([8]).to(dev);
        const rv = torch.ones([8]).to(dev);
        let h = F.conv2d(xd, wd, undefined, { padding: 1 });
        h = F.batchNorm(h, rm, rv, gd, bd, true).relu();
        h = F.maxPool2d(h, 2);
        h = F.adaptiveAvgPool2d(h, 1).flatten(1);
        const loss = F.binaryCrossEntropyWithLogits(F.linear(h, lwd), yd);
        loss.backward();
        return [loss.detach(), wd.grad!, lwd.grad!, rm].map((t) => t.cpu());
      });
    const cpu = run('cpu');
    const other = run(device);
    return Object.fromEntries(['loss', 'conv grad', 'linear grad', 'running mean'].map((k, i) => [k, maxRel(other[i], cpu[i])]));
  });
}

/**
 * A loader batch becomes its tensor on `device` (uint8 travels, flip/jitter/normalise run there): the device
 * the tensor is on and its max absolute difference from the CPU conversion.
 */
export function batchVsCpu(device: string): { device: string; maxAbsDiff: number } {
  return torch.scope(() => {
    const n = 4, size = 32;
    const pixels = new Uint8Array(n * size * size * 3).map((_, i) => (i * 2654435761) >>> 24);
    const b = {
      pixels, shape: [n, 3, size, size] as [number, number, number, number], layout: 'nchw' as const,
      views: [{ flip: false }, { flip: true }, { flip: false }, { flip: true }],
      jitter: [null, null, { order: [2, 0, 1], brightness: 1.1, contrast: 0.9, saturation: 1.2 }, { order: [0, 1, 2], brightness: 0.85, contrast: 1.15, saturation: 0.8 }],
      mean: IMAGENET_MEAN, std: IMAGENET_STD,
    };
    const onDevice = imagesTensor(b, device);
    return { device: onDevice.device, maxAbsDiff: onDevice.cpu().sub(imagesTensor(b, 'cpu')).abs().max().item() };
  });
}
