// The pixel arithmetic in libtorch (the default engine of pixel-engine.ts; imported only when a computation runs).
import { full, noGrad, scope, tensor } from '../torch/index.js';
import { PRECISION_BITS, type PixelEngine } from './pixel-engine.js';

export const torchPixelEngine: PixelEngine = {
  name: 'libtorch',
  async gatherSum(img, axis, index, weight, taps, outSize) {
    const bshape = axis === 0 ? [outSize, 1, 1] : [1, outSize, 1];
    return scope(() => noGrad(() => {
      const x = tensor(img.data, { shape: [img.height, img.width, 3] }).to('float64');
      let acc = full([axis === 0 ? outSize : img.height, axis === 0 ? img.width : outSize, 3], 1 << (PRECISION_BITS - 1), { dtype: 'float64' });
      for (let t = 0; t < taps; t++) {
        const at = (a: BigInt64Array | Float64Array) => a.slice(t * outSize, (t + 1) * outSize);
        acc = acc.add_(x.indexSelect(axis, tensor(at(index) as BigInt64Array)).mul(tensor(at(weight) as Float64Array, { shape: bshape })));
      }
      return acc.div_(1 << PRECISION_BITS).floor().clamp(0, 255).to('uint8').data<'uint8'>();
    }));
  },
  async extent(values) {
    return scope(() => {
      const x = tensor(values);
      return { min: x.amin().item(), max: x.amax().item() };
    });
  },
  async toBytes(values, map) {
    return scope(() => noGrad(() => {
      let y = tensor(values).mul(map.scale).add(map.offset);
      if (map.sigmoid) y = y.sigmoid().mul(255);
      if (map.invert) y = y.rsub(255);
      return y.round().clamp(0, 255).to('uint8').data<'uint8'>();
    }));
  },
};
