// The computations that the distributed tests run both as 2 ranks (test/helpers/dist-rank.ts, each rank on
// its half of a batch) and in one process on the whole batch, so that the two can be compared.
import { Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { F, manualSeed, noGrad, randn, type Tensor } from '../../src/torch/index.js';

export const GLOBAL_BATCH = 8;
export const STEPS = 3;

/** A tiny MLP; every rank builds it with its own seed, so that the broadcast from rank 0 matters. */
export function tinyNet(seed: number): Sequential {
  manualSeed(seed);
  return new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 2));
}

/** The global batch, the same on every rank; rank r of w takes rows [r·8/w, (r+1)·8/w). */
export function reducerBatch(rank: number, world: number): { x: Tensor; y: Tensor } {
  manualSeed(123);
  const x = randn([GLOBAL_BATCH, 6]), y = randn([GLOBAL_BATCH, 2]);
  const n = GLOBAL_BATCH / world;
  return { x: x.narrow(0, rank * n, n), y: y.narrow(0, rank * n, n) };
}

/** STEPS steps of plain SGD on the MSE of the batch; `beforeBackward(out)` runs between forward and
 *  backward (the reducer's prepareForBackward). Returns each step's gradients, flattened. */
export function sgdSteps(net: Sequential, x: Tensor, y: Tensor, beforeBackward: (out: Tensor) => void): number[][] {
  const params = net.parameters();
  const grads: number[][] = [];
  for (let s = 0; s < STEPS; s++) {
    const out = net.forward(x);
    const loss = out.sub(y).pow(2).mean();
    beforeBackward(out);
    loss.backward();
    grads.push(params.flatMap((p) => p.grad!.toArray()));
    noGrad(() => {
      for (const p of params) p.sub_(p.grad!.mul(0.1));
    });
    net.zeroGrad();
  }
  return grads;
}

/** The SyncBatchNorm case: input (8, 3, 4, 4), affine parameters, running statistics and the loss
 *  sum(y · g) with a fixed g, so that each rank's dy is the global dy's slice. */
export function bnCase(rank: number, world: number) {
  manualSeed(321);
  const x = randn([GLOBAL_BATCH, 3, 4, 4]).mul(2).add(3), g = randn([GLOBAL_BATCH, 3, 4, 4]);
  const weight = randn([3]).requiresGrad_(true), bias = randn([3]).requiresGrad_(true);
  const n = GLOBAL_BATCH / world;
  const xs = x.narrow(0, rank * n, n).contiguous().requiresGrad_(true);
  const plain = randn([GLOBAL_BATCH, 3]).mul(3).sub(1), plainG = randn([GLOBAL_BATCH, 3]);
  return {
    x: xs, g: g.narrow(0, rank * n, n), weight, bias, runningMean: randn([3]).mul(0.1), runningVar: randn([3]).abs().add(0.5),
    // Without affine parameters and running statistics, on (N, C): the global batch's standardisation.
    plain: plain.narrow(0, rank * n, n).contiguous().requiresGrad_(true), plainG: plainG.narrow(0, rank * n, n),
  };
}

export const BN_MOMENTUM = 0.1, BN_EPS = 1e-5;

/** Plain batch norm in training mode on the whole batch, the reference of syncBatchNorm (loss: sum(y·g)). */
export function plainBatchNorm(c: ReturnType<typeof bnCase>): Tensor {
  return F.batchNorm(c.x, c.runningMean, c.runningVar, c.weight, c.bias, true, BN_MOMENTUM, BN_EPS);
}
