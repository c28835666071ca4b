// The resample arithmetic in libtorch (the default engine of resample.ts; imported only when a resample runs).
import { full, noGrad, scope, tensor } from '../torch/index.js';
import { PRECISION_BITS, type ResampleEngine } from './resample.js';

export const torchResampleEngine: ResampleEngine = {
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
};
