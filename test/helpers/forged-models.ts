// Forged model files for the tests of hostile checkpoints: a tlearn checkpoint copied with some tensors'
// values replaced (NaN, inf, huge finite values) or some metadata values replaced, written with tlearn's own
// writers (safetensors or .pth), so each case says in one line what it forged.
import {
  checkpointFormatFor, encodeSafetensorsMetadata, loadCheckpoint, saveCheckpoint, writeSafetensors, type CheckpointFormat, type RawTensor,
} from '../../src/io/index.js';

export interface Forgery {
  /** Tensor key -> what to write into its float32 values (a function gets a copy of them to edit). */
  tensors?: Record<string, number | ((values: Float32Array) => void)>;
  /** Metadata keys replaced (undefined removes a key). */
  metadata?: Record<string, unknown>;
  /** Written as this format (default: the extension of `out`). */
  format?: CheckpointFormat;
  /** Leave tlearn's metadata out (a plain state_dict). */
  plain?: boolean;
  /** safetensors only: metadata entries stored as this text, unencoded (e.g. '1e999', which JSON reads as Infinity). */
  rawMetadata?: Record<string, string>;
}

/** A float32 record with new values: every element `value`, or edited by `edit` from a copy of the old ones. */
function replaced(name: string, r: RawTensor, how: number | ((values: Float32Array) => void)): RawTensor {
  if (r.dtype !== 'float32') throw new Error(`forge: '${name}' is ${r.dtype}, not float32`);
  // new Uint8Array(view) copies the bytes (a Buffer's slice would not), aligned for the Float32Array.
  const values = new Float32Array(new Uint8Array(r.data).buffer);
  if (typeof how === 'number') values.fill(how);
  else how(values);
  return { ...r, data: new Uint8Array(values.buffer) };
}

/** Writes `out`: the checkpoint `source` with the forgery applied. Returns `out`. */
export function forgeModelFile(source: string, out: string, f: Forgery): string {
  const ckpt = loadCheckpoint(source);
  const tensors = new Map(ckpt.tensors);
  for (const [name, how] of Object.entries(f.tensors ?? {})) {
    const r = tensors.get(name);
    if (!r) throw new Error(`forge: ${source} has no tensor '${name}'`);
    tensors.set(name, replaced(name, r, how));
  }
  const metadata = f.plain ? {} : { ...ckpt.metadata, ...f.metadata };
  for (const [k, v] of Object.entries(metadata)) if (v === undefined) delete metadata[k];
  if (f.rawMetadata) {
    if ((f.format ?? checkpointFormatFor(out)) !== 'safetensors') throw new Error('forge: rawMetadata is for safetensors files');
    writeSafetensors(out, tensors, { ...encodeSafetensorsMetadata(metadata), ...f.rawMetadata });
  } else saveCheckpoint(out, tensors, metadata, { format: f.format });
  return out;
}

/**
 * Finite weights whose forward pass overflows float32 for any input (a resnet18 checkpoint): layer4.1.bn1 puts
 * out 3e38 in every channel, layer4.1.conv2 (all weights 1) sums them to +inf, and layer4.1.bn2 scales that by
 * 0: inf * 0 is NaN, which reaches the output.
 */
export const OVERFLOWING: Forgery['tensors'] = {
  'layer4.1.bn1.weight': 0,
  'layer4.1.bn1.bias': 3e38,
  'layer4.1.conv2.weight': 1,
  'layer4.1.bn2.weight': 0,
};
