// The metadata_props keys of a tlearn .onnx file. Readable keys for any ONNX tool (Netron shows them, Python
// reads `onnx.load(f).metadata_props`), plus the whole checkpoint metadata as one JSON value that tlearn reads
// back and checks as it checks a checkpoint's. Every value is a string (JSON for arrays and numbers).
export const ONNX_PROPS = {
  /** The checkpoint metadata (models/metadata.ts metadataToJSON), JSON: what tlearn itself reads. */
  metadata: 'tlearn_metadata',
  /** What the graph takes: 'float32-nchw' (normalised, as in PyTorch) or 'uint8-nhwc' (raw pixels). */
  input: 'tlearn_input',
  task: 'task',
  classes: 'classes',
  positiveClass: 'positive_class',
  imageSize: 'image_size',
  resize: 'resize_mode',
  mean: 'mean',
  std: 'std',
  threshold: 'threshold',
  thresholds: 'thresholds',
  /** The DICOM windows the model reads through, JSON [[centre, width], ...] (absent: each file's own). */
  dicomWindows: 'dicom_windows',
  arch: 'arch',
  toolVersion: 'tlearn_version',
  /** sha256 (hex) of the checkpoint file the graph was exported from. */
  sourceSha256: 'source_sha256',
} as const;

export type OnnxInputLayout = 'float32-nchw' | 'uint8-nhwc';
export const ONNX_INPUT_LAYOUTS: readonly OnnxInputLayout[] = ['float32-nchw', 'uint8-nhwc'];

/** The graph's input and output names tlearn writes. */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'probabilities';
