// The commands' way to an .onnx model (known by its extension): src/deploy, with onnxruntime-node loaded
// first, so that its absence is a failure of the run (exit 1) saying how to install it, before any work.
import path from 'node:path';
import { NotAvailableError } from '../errors.js';
import { loadPart } from '../planned.js';

/** A model file is ONNX by its `.onnx` extension (its content is then checked as ONNX, with a clear error). */
export const isOnnxFile = (file: string): boolean => path.extname(file).toLowerCase() === '.onnx';

/** src/deploy (tlearn/onnx), once onnxruntime-node is known to load. */
export async function onnxPart(): Promise<typeof import('../../deploy/index.js')> {
  const deploy = await loadPart(() => import('../../deploy/index.js'), 'ONNX prediction');
  try {
    await deploy.onnxRuntime();
  } catch (e) {
    throw new NotAvailableError(`an .onnx model is run by onnxruntime-node: ${(e as Error).message}`);
  }
  return deploy;
}
