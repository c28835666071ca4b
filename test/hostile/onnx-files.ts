// Hostile .onnx model files for predict and evaluate (issue 17): truncated, forged or foreign graphs are refused
// with a message naming the file and the problem (exit 2), and nothing is written.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { metadataToJSON, seedMetadata } from '../../src/models/metadata.js';
import { ONNX_PROPS } from '../../src/onnx/index.js';
import { foreignOnnx, type ForeignGraph } from '../helpers/onnx-foreign.js';
import { readingModel, wroteNothing, type ModelCommand } from '../helpers/hostile-commands.js';
import type { HostileCase } from './case.js';

/** tlearn's metadata_props for an 8 px, 3-class multi-class model, with `change` applied to the metadata. */
function tlearnProps(change: Record<string, unknown> = {}, input = 'float32-nchw'): Record<string, string> {
  const m = { ...metadataToJSON({ ...seedMetadata('resnet18'), task: 'multiclass', classes: ['a', 'b', 'c'], positiveClass: null, imageSize: 32 }), ...change };
  return { [ONNX_PROPS.metadata]: JSON.stringify(m), [ONNX_PROPS.input]: input };
}

function onnxCase(name: string, command: ModelCommand, write: (file: string) => void | Promise<void>, message: RegExp, extra: string[] = []): HostileCase {
  return {
    name: `${name}, to ${command}`,
    async setup(dir) {
      await write(path.join(dir, 'model.onnx'));
      return [...await readingModel(dir, command, 'model.onnx'), ...extra];
    },
    code: 2,
    message,
    after: wroteNothing,
  };
}

const graph = (o: ForeignGraph) => (file: string) => fs.writeFileSync(file, foreignOnnx(o));

export const cases: HostileCase[] = [
  ...(['predict', 'evaluate'] as const).flatMap((command) => [
    onnxCase('a .onnx cut in half', command, (f) => {
      const whole = foreignOnnx({ size: 32, metadata: tlearnProps() });
      fs.writeFileSync(f, whole.subarray(0, whole.length >> 1));
    }, /model\.onnx is not a readable ONNX model \(it ends too early: truncated\?\)/),
    onnxCase('random bytes named .onnx', command, (f) => fs.writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24))),
      /model\.onnx is not (a readable|an) ONNX model/),
    onnxCase('a PNG renamed .onnx', command, async (f) => { await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toFile(f); },
      /model\.onnx is not a readable ONNX model .*its content is a PNG image/),
  ]),
  onnxCase('a foreign graph ending in logits', 'predict', graph({ activation: null }), /model\.onnx: its outputs are not probabilities .*Softmax/),
  onnxCase('a foreign graph ending in logits', 'evaluate', graph({ activation: null, outputs: 2, size: 32 }), /model\.onnx: its outputs are not probabilities/, ['--classes', 'cat,dog', '--task', 'multiclass']),
  onnxCase('a foreign graph with two inputs', 'predict', graph({ secondInput: true }), /model\.onnx: the graph has 2 inputs \(x, mask\)/),
  onnxCase('a foreign graph taking uint8 NHWC pixels', 'predict', graph({ input: { dtype: 'uint8', shape: ['N', 32, 32, 3] } }),
    /model\.onnx: its input 'x' is uint8 \[\?, 32, 32, 3\]; tlearn predicts with a graph of one input float32 \[N, 3, S, S\]/),
  onnxCase('a foreign graph whose class count is symbolic', 'predict', graph({ symbolicOutputs: true }), /not fixed in the graph; give the class names \(--classes/),
  onnxCase('a foreign graph of 32 px given --image-size 64', 'predict', graph({}), /the graph takes 32 px images; --image-size 64 was given/, ['--image-size', '64']),
  onnxCase('a foreign graph of 8 px (below tlearn\'s image sizes)', 'predict', graph({ size: 8 }), /imageSize 8 is out of range \(32-4096\).*model\.onnx/),
  onnxCase('forged tlearn metadata (imageSize 100000)', 'predict', graph({ size: 32, metadata: tlearnProps({ imageSize: 100000 }) }),
    /checkpoint metadata imageSize 100000 is out of range .*model\.onnx/),
  onnxCase('tlearn metadata that is not JSON', 'predict', graph({ size: 32, metadata: { ...tlearnProps(), [ONNX_PROPS.metadata]: '{"kind": ' } }),
    /model\.onnx: its metadata_props 'tlearn_metadata' is not JSON/),
  onnxCase('tlearn metadata with an unknown input layout', 'predict', graph({ size: 32, metadata: tlearnProps({}, 'float16-nchw') }),
    /model\.onnx: its metadata_props 'tlearn_input' is "float16-nchw"; expected one of float32-nchw, uint8-nhwc/),
  onnxCase('tlearn metadata of 32 px on a graph of 8 px', 'predict', graph({ size: 8, metadata: tlearnProps() }),
    /model\.onnx: its metadata says input float32-nchw of 32 px, but the graph takes float32 \[\?, 3, 8, 8\]: the file was altered/),
  onnxCase('tlearn metadata of 3 classes on a graph of 2 outputs', 'predict', graph({ size: 32, outputs: 2, metadata: tlearnProps() }),
    /model\.onnx: its metadata says 3 outputs \(multiclass, 3 classes\), but the graph gives float32 \[\?, 2\]/),
  onnxCase('--image-size contradicting a tlearn .onnx', 'predict', graph({ size: 32, metadata: tlearnProps() }),
    /model\.onnx: was trained with imageSize 32; 64 was given/, ['--image-size', '64']),
];
