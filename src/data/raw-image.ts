// The decoded image every part of src/data passes around: its own file, below decode.ts and resample.ts,
// which both use it (resample.ts importing it from decode.ts made a two-file loop).

/** RGB 8-bit, row-major, channels interleaved (HWC). Treated as immutable once made (the cache shares it). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}
