// The metadata_props of an exported graph (keys: onnx/props.ts): readable values for any ONNX tool, and the
// checkpoint's whole metadata as JSON for tlearn itself.
import { metadataToJSON, toolVersion, type ModelMetadata } from '../../models/index.js';
import { ONNX_PROPS, type OnnxInputLayout } from '../../onnx/index.js';

export function metadataProps(m: ModelMetadata, input: OnnxInputLayout, sourceSha256?: string): Record<string, string> {
  const p: Record<string, string> = {
    [ONNX_PROPS.task]: m.task,
    [ONNX_PROPS.classes]: JSON.stringify(m.classes),
    ...(m.positiveClass === null ? {} : { [ONNX_PROPS.positiveClass]: m.positiveClass }),
    [ONNX_PROPS.imageSize]: String(m.imageSize),
    [ONNX_PROPS.resize]: m.resize,
    [ONNX_PROPS.mean]: JSON.stringify(m.mean),
    [ONNX_PROPS.std]: JSON.stringify(m.std),
    ...(m.dicomWindows ? { [ONNX_PROPS.dicomWindows]: JSON.stringify(m.dicomWindows) } : {}),
    [ONNX_PROPS.threshold]: String(m.threshold),
    ...(m.thresholds === null ? {} : { [ONNX_PROPS.thresholds]: JSON.stringify(m.thresholds) }),
    [ONNX_PROPS.arch]: m.arch,
    // The exporting tlearn; the training one is in tlearn_metadata (toolVersion).
    [ONNX_PROPS.toolVersion]: toolVersion(),
    [ONNX_PROPS.input]: input,
    [ONNX_PROPS.metadata]: JSON.stringify(metadataToJSON(m)),
  };
  if (sourceSha256 !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(sourceSha256)) throw new Error(`sourceSha256 must be 64 hex digits, got ${JSON.stringify(sourceSha256)}`);
    p[ONNX_PROPS.sourceSha256] = sourceSha256.toLowerCase();
  }
  return p;
}
