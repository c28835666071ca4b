// The messages between the server (main thread) and the model worker (libtorch's or onnxruntime's). Buffers travel as transferred
// ArrayBuffers: the sender gives them up, nothing is copied.
import type { BatchResult, ImageRefusal, ModelInfo } from './engine.js';
import type { TtaMode } from '../eval/tta.js';

/** workerData of the model worker. */
export interface WorkerSetup {
  model: string;
  load: { imageSize?: number; classes?: string[]; task?: 'binary' | 'multiclass' | 'multilabel'; resize?: 'squash' | 'crop' };
  threshold?: number;
  /** libtorch intra-op threads (undefined: tlearn's default, every core). */
  threads?: number;
  /** Images decoded at once (each holds its full-size decode in memory). */
  decodeConcurrency: number;
  /** Images declaring more pixels than this are refused from their header (422). */
  maxPixels: number;
  /** Test-time augmentation: each image's probabilities are the mean of its views' (eval/tta.ts). */
  tta?: TtaMode | null;
}

/** workerData of the ONNX model worker (onnx-worker.ts); it never decodes (the main thread does). */
export interface OnnxWorkerSetup {
  model: string;
  load: WorkerSetup['load'];
  threshold?: number;
  /** onnxruntime's intra-op threads (undefined: its default, every core). */
  threads?: number;
  tta?: TtaMode | null;
}

/** workerData of the decode worker (decode-worker.ts). */
export interface DecoderSetup { imageSize: number; resize: 'squash' | 'crop'; dicomWindows: Array<[number, number]> | null; maxPixels: number; concurrency: number }

export type ToWorker =
  | { type: 'decode'; id: number; bytes: ArrayBuffer }
  | { type: 'predict'; id: number; pixels: ArrayBuffer; n: number }
  /** Finish what is running, then end (a worker terminated inside a libtorch call aborts the whole process). */
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'decoder-ready' }
  | { type: 'load-failed'; message: string }
  | { type: 'decoded'; id: number; pixels: ArrayBuffer }
  | { type: 'refused'; id: number; refusal: ImageRefusal }
  | { type: 'predicted'; id: number; result: BatchResult }
  | { type: 'failed'; id: number; message: string };
