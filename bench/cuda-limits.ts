// The limits cuda-check holds its GPU-vs-CPU figures to, and the verdict (a pure function, tested on the CPU in
// test/bench-cuda-check.test.ts): the check exits 1 when any figure is over its limit, missing or NaN.

/**
 * Largest relative difference (max |gpu - cpu| / max |cpu| per tensor) of the small conv net's loss, gradients
 * and running mean. cuDNN runs fp32 convolutions in TF32 by default on Ampere and later (libtorch's
 * allow_tf32 for cuDNN is on), whose 10-bit mantissa gives relative errors near 1e-3; 1e-2 leaves a margin of
 * several times that, while a wrong op (layout, stride, a missed gradient) is off by order 1.
 */
export const OPS_MAX_REL_DIFF = 1e-2;

/**
 * Largest absolute difference of a loader batch converted on the GPU against the CPU conversion (normalised
 * units). Measured on an H100 (2026-11-26): 8.3e-7, a few float32 ulps of values up to 2.64 (one ulp 2.4e-7:
 * the same fp32 formulas in another order / fused). 1e-5 is 12 times that; one 8-bit pixel level is 0.017, so
 * a wrong flip, jitter or channel order is over a thousand times the limit.
 */
export const BATCH_MAX_ABS_DIFF = 1e-5;

/**
 * Lowest tlearn / PyTorch images-per-second ratio of the ResNet50 bf16 training step. Measured on an H100
 * (2026-11-26/27): 1.08-1.30. Half PyTorch's speed means work fell off the GPU path (a CPU fallback, a sync per
 * op, no autocast), not noise.
 */
export const MIN_SPEED_RATIO = 0.5;

/** The figures of cuda-check's report that are judged (the rest is printed only). */
export interface CudaCheckFigures {
  roundTrip?: unknown;
  cudaDevice?: unknown;
  opsMaxRelDiff?: Record<string, number>;
  batchTensorDevice?: unknown;
  batchTensorMaxAbsDiff?: unknown;
  ratio?: unknown;
}

const OPS = ['loss', 'conv grad', 'linear grad', 'running mean'] as const;

/** Why the check failed, one line per figure over its limit; empty when every figure is within. */
export function cudaCheckFailures(r: CudaCheckFigures): string[] {
  const failures: string[] = [];
  // `!(v <= limit)` rather than `v > limit`: NaN and a missing figure fail too.
  const atMost = (what: string, v: unknown, limit: number) => {
    if (!(typeof v === 'number' && v <= limit)) failures.push(`${what} ${String(v)} is over the limit ${limit}`);
  };
  if (r.roundTrip !== true) failures.push(`round trip to cuda and back changed the tensor (${String(r.roundTrip)})`);
  for (const [what, dev] of [['a tensor moved to cuda', r.cudaDevice], ['the batch tensor', r.batchTensorDevice]] as const) {
    if (!(typeof dev === 'string' && dev.startsWith('cuda'))) failures.push(`${what} is on ${String(dev)}, not cuda`);
  }
  for (const k of OPS) atMost(`ops: ${k} max relative difference`, r.opsMaxRelDiff?.[k], OPS_MAX_REL_DIFF);
  atMost('loader batch max |difference|', r.batchTensorMaxAbsDiff, BATCH_MAX_ABS_DIFF);
  if (!(typeof r.ratio === 'number' && r.ratio >= MIN_SPEED_RATIO)) {
    failures.push(`ResNet50 step speed ratio ${String(r.ratio)} (tlearn / PyTorch) is under ${MIN_SPEED_RATIO}`);
  }
  return failures;
}
