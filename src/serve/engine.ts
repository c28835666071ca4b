// What the server needs of an inference engine. The libtorch engine runs the model in a worker thread
// (libtorch-engine.ts, model-worker.ts); an ONNX engine (issue 17's src/deploy) implements the same interface.
// The server's own code (HTTP, batching, limits, metrics) imports no engine code: the main thread never loads
// libtorch, so no tensor is ever made on two threads at once (the addon's handle registry is not thread-safe).
import type { Prediction } from '../tasks/task.js';
import type { TtaMode } from '../eval/tta.js';

/** What a client may know about the served model (GET /v1/models/<name>). */
export interface ModelInfo {
  arch: string;
  task: 'binary' | 'multiclass' | 'multilabel';
  classes: string[];
  positiveClass: string | null;
  imageSize: number;
  resize: 'squash' | 'crop';
  /** The DICOM windows images are read through ([centre, width] each), or null: each DICOM file's own. */
  dicomWindows: Array<[number, number]> | null;
  /** The decision threshold in use (binary; --threshold or the model's). */
  threshold: number;
  /** Multi-label: one per label; null otherwise. */
  thresholds: number[] | null;
  /** Conformal prediction sets in the answers (each prediction's `set`), or null: the model has none. */
  conformal: { alpha: number; qhat: number | number[] } | null;
  /** The line that says what was assumed for a plain state_dict, or null. */
  note: string | null;
  /** Test-time augmentation in use (each answer the mean of the image's views' probabilities; eval/tta.ts), or null. */
  tta: TtaMode | null;
}

/** An image that could not be used, with the HTTP status its fault calls for (400, 415 or 422). */
export interface ImageRefusal { status: number; message: string }

/** One decoded image: size×size×3 uint8 RGB (HWC), the model's own eval transform applied. */
export type Pixels = Uint8Array;

export interface BatchResult {
  /** n × width probabilities, row-major. */
  probabilities: Float32Array;
  /** One per image, as `tlearn predict --json` reports it (without the path). */
  predictions: Prediction[];
}

export interface Engine {
  readonly info: ModelInfo;
  /** Encoded image bytes → the model's input pixels, or why not. The bytes are handed over (not used after). */
  decode(bytes: Uint8Array): Promise<Pixels | ImageRefusal>;
  /** n images' pixels, concatenated (handed over) → their probabilities and predictions. */
  predictBatch(pixels: Uint8Array, n: number): Promise<BatchResult>;
  /** Stops the engine; pending calls are rejected. */
  close(): Promise<void>;
}

export function isRefusal(x: Pixels | ImageRefusal): x is ImageRefusal {
  return !(x instanceof Uint8Array);
}
