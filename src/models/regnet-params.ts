// RegNet's per-stage settings from its design parameters, as torchvision 0.14's BlockParams.from_init_params:
// block widths on a quantised linear ramp in log space, grouped into stages of equal width, then widths and
// group widths made compatible. torchvision computes the ramp on float32 tensors and rounds half to even
// (torch.round), so this does the same (Math.fround at each step) and yields the same integers.
import { makeDivisible } from './convnet-parts.js';

export interface RegNetDesign {
  depth: number;
  w0: number;
  wa: number;
  wm: number;
  groupWidth: number;
  bottleneckMultiplier?: number;
  seRatio?: number;
}

export interface RegNetStage {
  width: number;
  depth: number;
  stride: number;
  groupWidth: number;
  bottleneckMultiplier: number;
}

export interface RegNetParams {
  stages: RegNetStage[];
  seRatio: number | undefined;
}

/** Round half to even, as torch.round and Python's round(). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}


export function regnetParams(d: RegNetDesign): RegNetParams {
  const QUANT = 8;
  const STRIDE = 2;
  const { depth, w0, wa, wm, groupWidth } = d;
  const b = d.bottleneckMultiplier ?? 1;
  if (wa < 0 || w0 <= 0 || wm <= 1 || w0 % 8 !== 0) throw new Error('Invalid RegNet settings');
  const f = Math.fround;
  // widths_cont = arange(depth) * w_a + w_0; capacity = round(log(widths_cont / w_0) / log(w_m));
  // widths = round(w_0 * w_m ** capacity / QUANT) * QUANT — every tensor op in float32.
  const waF = f(wa);
  const logWm = f(Math.log(wm));
  const blockWidths: number[] = [];
  for (let i = 0; i < depth; i++) {
    const cont = f(f(i * waF) + w0);
    const capacity = roundHalfEven(f(f(Math.log(f(cont / w0))) / logWm));
    const w = f(w0 * f(f(wm) ** capacity));
    blockWidths.push(roundHalfEven(f(w / QUANT)) * QUANT);
  }
  // A new stage starts wherever the width changes.
  const stageWidths: number[] = [];
  const stageDepths: number[] = [];
  for (let i = 0; i < blockWidths.length; i++) {
    if (i === 0 || blockWidths[i] !== blockWidths[i - 1]) {
      stageWidths.push(blockWidths[i]);
      stageDepths.push(0);
    }
    stageDepths[stageDepths.length - 1]++;
  }
  // _adjust_widths_groups_compatibilty
  const bottleneckWidths = stageWidths.map((w) => Math.trunc(w * b));
  const groupWidths = bottleneckWidths.map((wb) => Math.min(groupWidth, wb));
  const adjusted = bottleneckWidths.map((wb, i) => Math.trunc(makeDivisible(wb, groupWidths[i]) / b));
  return {
    stages: adjusted.map((width, i) => ({ width, depth: stageDepths[i], stride: STRIDE, groupWidth: groupWidths[i], bottleneckMultiplier: b })),
    seRatio: d.seRatio,
  };
}

/** torchvision's RegNetY designs (regnet_y_400mf, regnet_y_1_6gf, regnet_y_3_2gf). */
export const REGNET_DESIGNS = Object.freeze({
  regnet_y_400mf: { depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, seRatio: 0.25 },
  regnet_y_1_6gf: { depth: 27, w0: 48, wa: 20.71, wm: 2.65, groupWidth: 24, seRatio: 0.25 },
  regnet_y_3_2gf: { depth: 21, w0: 80, wa: 42.63, wm: 2.66, groupWidth: 24, seRatio: 0.25 },
} satisfies Record<string, RegNetDesign>);
export type RegNetArch = keyof typeof REGNET_DESIGNS;
