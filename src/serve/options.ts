// What `tlearn serve` is started with, and the defaults. Every limit is there so that no request, however
// large, malformed or slow, can take more than a bounded share of memory or time.
import type { TtaMode } from '../eval/tta.js';
export interface ServeOptions {
  /** A tlearn checkpoint or a plain PyTorch state_dict (absolute path). */
  model: string;
  /** The name clients use in /v1/models/<name> (default: the model file's name without its extension). */
  name: string;
  /** libtorch serves checkpoints, onnx .onnx files (the CLI picks it from the file). */
  engine: 'libtorch' | 'onnx';
  /** The libtorch engine's decoding: 'auto' (default) in a decode worker where onnxruntime-node is installed, else in the model's worker. */
  decodeIn?: 'thread' | 'model' | 'auto';
  host: string;
  /** 0: any free port (the server says which). */
  port: number;
  /** Images per forward pass at most. */
  maxBatch: number;
  /** How long the first image of a batch waits for others. */
  maxWaitMs: number;
  /** Images admitted at once (decoding, waiting, in the model); beyond it: 503 with Retry-After. */
  maxQueue: number;
  /** Images in one request at most (413 beyond). */
  maxImages: number;
  /** Request body size at most, in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Images declaring more pixels than this are refused from their header (422), before any decoding. */
  maxPixels: number;
  /** Images decoded at once (each holds its full-size decode in memory while it is decoded). */
  decodeConcurrency: number;
  /** `Authorization: Bearer <key>` required on every route but the probes; undefined: no key. */
  apiKey?: string;
  /** Access-Control-Allow-Origin for browsers (an origin, or '*'); undefined: no CORS headers. */
  cors?: string;
  /** libtorch intra-op threads (undefined: every core). */
  threads?: number;
  /** A client must send its headers within this time, and its whole request within requestTimeoutMs. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** On SIGTERM/SIGINT, requests in flight get this long to finish before their connections are closed. */
  drainTimeoutMs: number;
  /** For a plain state_dict (a tlearn file's own values must not be contradicted) and the decision threshold. */
  imageSize?: number;
  classes?: string[];
  task?: 'binary' | 'multiclass' | 'multilabel';
  resize?: 'squash' | 'crop';
  threshold?: number;
  /** Test-time augmentation: 'flip' or 'dihedral' answers the mean of the probabilities of each image's views (eval/tta.ts). */
  tta?: TtaMode | null;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatch: 32,
  maxWaitMs: 5,
  maxQueue: 256,
  maxImages: 64,
  maxBodyMb: 20,
  maxMegapixels: 50,
  headersTimeoutS: 10,
  requestTimeoutS: 30,
  drainTimeoutS: 30,
} as const;
