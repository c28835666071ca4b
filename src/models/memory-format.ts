// Whether a ResNet runs faster with channels-last (NHWC) activations. On CPU, oneDNN's convolutions work in
// NHWC natively and reorder NCHW inputs at every layer. Measured with ResNet50 and Debian's libtorch 1.13 on 2
// cores (forward, batch 32, NHWC against NCHW): 0.93x at 64 px, 1.13x at 96, 1.39x at 128, 1.27-1.40x up to
// 224. A 224 px protocol run of 2+1 epochs took 20 % less time; a 64 px run of 10+10 epochs, 11 % more.
// On CUDA fp32 it was not measured, so it is left to the user there.

/** The smallest input size at which channels-last pays on CPU. */
export const CHANNELS_LAST_MIN_SIZE = 96;

/** Whether channels-last is the faster memory format for images of `imageSize` on `device`. */
export function channelsLastPays(device: string, imageSize: number): boolean {
  return device === 'cpu' && imageSize >= CHANNELS_LAST_MIN_SIZE;
}
