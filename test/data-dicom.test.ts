// DICOM images (.dcm): files written by pydicom in every transfer syntax tlearn reads (implicit and explicit VR little
// endian, big endian, deflated, JPEG Baseline) decode to pydicom's pixel_array after its apply_modality_lut and
// apply_voi_lut (LINEAR, LINEAR_EXACT, SIGMOID, a width-1 threshold), rescaled to bytes and correctly rounded;
// without a window to the image's own range; MONOCHROME1 inverted; RGB as stored, planar or not; the first frame of
// a multi-frame file. Both pixel engines give the same bytes. Through the pipeline a DICOM image is decoded as the
// PNG of pydicom's windowed image. predict reads .dcm files in folders, with a checkpoint and with an .onnx model;
// serve takes them as application/dicom bodies (both engines); report thumbnails show them; files tlearn cannot
// read are refused with their reason (and serve's status: 415 for what it does not decode, 400 for damaged data).
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { dicomRaster } from '../src/data/dicom.js';
import { decodeResized, imageSize } from '../src/data/decode.js';
import { setPixelEngine } from '../src/data/pixel-engine.js';
import { onnxPixelEngine } from '../src/data/pixels-onnx.js';
import { torchPixelEngine } from '../src/data/pixels-torch.js';
import { exportOnnx } from '../src/export/onnx/index.js';
import { completeMetadata, saveModelFile, seedMetadata } from '../src/models/index.js';
import { makeThumbnail } from '../src/report/thumbnails.js';
import { cliIn } from './helpers/cli.js';
import { get, post, withServer } from './helpers/serve.js';
import { resolveConfig } from '../src/train/config/index.js';
import { tinyClassifier } from './helpers/onnx-models.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';
import { makeStripes, recordedRun, tinyConfig } from './train-fixtures.js';

after(() => { setPixelEngine(null); removeTempDirs(); });

// pydicom writes the files; its own reading of them is the oracle.
const WRITE = String.raw`
import numpy as np, io, os
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian, JPEGBaseline8Bit, JPEG2000Lossless, generate_uid)
from pydicom.encaps import encapsulate
from PIL import Image
rng = np.random.default_rng(0)
d = inp

def make(name, arr, photometric='MONOCHROME2', syntax=ExplicitVRLittleEndian, signed=False, stored=None, extra={}, planar=0, frames=1, encoded=None):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset(); ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
    colour = arr.ndim == 3 + (frames > 1)
    h, w = arr.shape[-3:-1] if colour else arr.shape[-2:]
    ds.Rows, ds.Columns = h, w
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = photometric
    bits = arr.dtype.itemsize * 8
    ds.BitsAllocated = bits; ds.BitsStored = stored or bits; ds.HighBit = (stored or bits) - 1
    ds.PixelRepresentation = 1 if signed else 0
    if colour: ds.PlanarConfiguration = planar
    if frames > 1: ds.NumberOfFrames = frames
    for k, v in extra.items(): setattr(ds, k, v)
    if encoded is not None:
        ds.PixelData = encapsulate([encoded])
    else:
        a = np.moveaxis(arr, -1, -3) if colour and planar == 1 else arr
        if syntax == ExplicitVRBigEndian: a = a.astype(a.dtype.newbyteorder('>'))
        ds.PixelData = a.tobytes()
    ds.save_as(os.path.join(d, name), write_like_original=False)

make('ct.dcm', rng.integers(0, 3000, (20, 24)).astype(np.int16), signed=True,
     extra=dict(RescaleSlope=1, RescaleIntercept=-1024, WindowCenter=[40, -600], WindowWidth=[400, 1500]))
make('mr.dcm', rng.integers(0, 4096, (17, 13)).astype(np.uint16), syntax=ImplicitVRLittleEndian, stored=12)
make('cr1.dcm', rng.integers(0, 2000, (15, 15)).astype(np.uint16), photometric='MONOCHROME1', syntax=ExplicitVRBigEndian,
     extra=dict(RescaleSlope=0.5, RescaleIntercept=10, WindowCenter=500, WindowWidth=800, VOILUTFunction='LINEAR_EXACT'))
make('sigmoid.dcm', rng.integers(0, 256, (9, 11)).astype(np.uint8), syntax=DeflatedExplicitVRLittleEndian,
     extra=dict(WindowCenter=100, WindowWidth=50, VOILUTFunction='SIGMOID'))
make('threshold.dcm', rng.integers(0, 256, (8, 8)).astype(np.uint8), extra=dict(WindowCenter=128, WindowWidth=1))
make('signed-range.dcm', rng.integers(-900, 900, (12, 12)).astype(np.int16), signed=True, extra=dict(RescaleSlope=-2, RescaleIntercept=5))
make('rgb.dcm', rng.integers(0, 256, (10, 12, 3)).astype(np.uint8), photometric='RGB')
make('rgb-planar.dcm', rng.integers(0, 256, (10, 12, 3)).astype(np.uint8), photometric='RGB', planar=1)
make('frames.dcm', rng.integers(0, 60000, (3, 12, 10)).astype(np.uint16), frames=3)
g = rng.integers(0, 256, (16, 16)).astype(np.uint8); b = io.BytesIO(); Image.fromarray(g).save(b, format='JPEG', quality=90)
make('jpeg.dcm', g, syntax=JPEGBaseline8Bit, encoded=b.getvalue(), extra=dict(WindowCenter=100, WindowWidth=120))
# A small CT series in two classes (a bright blob or none), with a soft-tissue window of its own.
for cls, level in [('clear', 0), ('blob', 1400)]:
    os.makedirs(os.path.join(d, 'series', cls))
    for i in range(6):
        a = rng.integers(900, 1200, (24, 20)).astype(np.int16)
        y, x = rng.integers(4, 14, 2); a[y:y+6, x:x+6] += level
        make(os.path.join('series', cls, f'{i}.dcm'), a, signed=True, extra=dict(RescaleSlope=1, RescaleIntercept=-1024, WindowCenter=40, WindowWidth=400))
# What tlearn refuses.
make('j2k.dcm', g, syntax=JPEG2000Lossless, encoded=b'\xff\x4f\xff\x51' + bytes(40))
make('palette.dcm', g, photometric='PALETTE COLOR')
lut = Dataset(); lut.LUTDescriptor = [256, 0, 8]; lut.add_new(0x00283006, 'OW', np.arange(256, dtype=np.uint16).tobytes())
make('voi-table.dcm', g, extra=dict(VOILUTSequence=Sequence([lut])))
make('short-pixels.dcm', g, extra=dict(Rows=32))
make('no-pixels.dcm', g)
ds = pydicom.dcmread(os.path.join(d, 'no-pixels.dcm')); del ds.PixelData; ds.save_as(os.path.join(d, 'no-pixels.dcm'))
out(True)
`;

const ORACLE = String.raw`
import numpy as np, os, pydicom
from PIL import Image
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
res = {}
for name in inp['names']:
    ds = pydicom.dcmread(os.path.join(inp['dir'], name))
    arr = ds.pixel_array
    if int(getattr(ds, 'NumberOfFrames', 1)) > 1: arr = arr[0]
    if ds.PhotometricInterpretation == 'RGB':
        g = arr.astype(np.float64)
    else:
        m = apply_modality_lut(arr, ds)
        if 'WindowCenter' in ds:
            y = apply_voi_lut(m, ds, prefer_lut=False)
            # pydicom's output range (apply_windowing), mapped to bytes.
            bs = ds.BitsStored
            lo, hi = (0, 2**bs - 1) if ds.PixelRepresentation == 0 else (-2**(bs - 1), 2**(bs - 1) - 1)
            if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
                lo, hi = lo * ds.RescaleSlope + ds.RescaleIntercept, hi * ds.RescaleSlope + ds.RescaleIntercept
            g = (y - lo) / (hi - lo) * 255
        else:
            g = (m - m.min()) / (m.max() - m.min()) * 255
        if ds.PhotometricInterpretation == 'MONOCHROME1': g = 255 - g
    img = Image.fromarray(np.clip(np.round(g), 0, 255).astype(np.uint8)).convert('RGB')
    img.save(os.path.join(inp['dir'], name + '.png'))
    res[name] = {'values': g.reshape(-1).tolist(), 'width': int(ds.Columns), 'height': int(ds.Rows)}
out(res)
`;

// pydicom's LINEAR windowing with a window of the caller's instead of the file's.
const WINDOWED = String.raw`
import numpy as np, os, pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
res = {}
for name, windows in inp['cases']:
    planes = []
    for c, w in windows:
        ds = pydicom.dcmread(os.path.join(inp['dir'], name))
        if 'VOILUTFunction' in ds: del ds.VOILUTFunction
        ds.WindowCenter, ds.WindowWidth = c, w
        y = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds, prefer_lut=False)
        bs = ds.BitsStored
        lo, hi = (0, 2**bs - 1) if ds.PixelRepresentation == 0 else (-2**(bs - 1), 2**(bs - 1) - 1)
        if 'RescaleSlope' in ds and 'RescaleIntercept' in ds:
            lo, hi = lo * ds.RescaleSlope + ds.RescaleIntercept, hi * ds.RescaleSlope + ds.RescaleIntercept
        g = (y - lo) / (hi - lo) * 255
        if ds.PhotometricInterpretation == 'MONOCHROME1': g = 255 - g
        planes.append(g)
    res[name + str(len(windows))] = np.stack(planes, axis=-1).reshape(-1).tolist()
out(res)
`;

const READ = ['ct.dcm', 'mr.dcm', 'cr1.dcm', 'sigmoid.dcm', 'threshold.dcm', 'signed-range.dcm', 'rgb.dcm', 'rgb-planar.dcm', 'frames.dcm', 'jpeg.dcm'];

const dir = tempDir('tlearn-dicom-');
runPython(WRITE, dir);
type Oracle = Record<string, { values: number[]; width: number; height: number }>;
const oracle = runPython<Oracle>(ORACLE, { dir, names: READ });
const file = (name: string) => path.join(dir, name);

test('every transfer syntax, window function and photometric tlearn reads gives pydicom\'s windowed pixels, correctly rounded', async () => {
  for (const name of READ) {
    const want = oracle[name]!;
    const got = await dicomRaster(fs.readFileSync(file(name)));
    assert.deepEqual([got.width, got.height, got.channels], [want.width, want.height, name.startsWith('rgb') ? 3 : 1], name);
    assert.equal(got.data.length, want.values.length, name);
    let worst = 0;
    got.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - Math.min(255, Math.max(0, want.values[i]!)))); });
    // JPEG: libjpeg-turbo in sharp and in Pillow decode the same bytes.
    assert.ok(worst <= 0.5 + 1e-6, `${name}: ${worst} from pydicom's value`);
    assert.deepEqual((await imageSize(file(name))).format, 'dicom');
  }
});

test('libtorch and onnxruntime give the same bytes for every file', async () => {
  for (const name of READ) {
    setPixelEngine(torchPixelEngine);
    const a = await dicomRaster(fs.readFileSync(file(name)));
    setPixelEngine(onnxPixelEngine);
    const b = await dicomRaster(fs.readFileSync(file(name)));
    assert.deepEqual(b.data, a.data, name);
  }
  setPixelEngine(null);
});

test('through the pipeline a DICOM image is decoded as the PNG of pydicom\'s windowed image (written by PIL)', async () => {
  // The PNG's way to torchvision's tensor is what the decode tests check; a DICOM file takes the same one.
  for (const name of READ) {
    for (const [size, mode] of [[16, 'squash'], [8, 'crop']] as const) {
      const got = await decodeResized(file(name), size, mode), want = await decodeResized(file(`${name}.png`), size, mode);
      let worst = 0;
      got.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - want.data[i]!)); });
      // At most one grey level, where pydicom's value sits on a rounding half (a byte before the resize differs by one).
      assert.ok(worst <= 1, `${name} ${mode} ${size}: ${worst}`);
    }
  }
});

test('a model\'s own windows (one, or three as red, green, blue) replace the file\'s: pydicom\'s LINEAR window, correctly rounded', async () => {
  const BRAIN_SUBDURAL_BONE: [number, number][] = [[40, 80], [80, 200], [600, 2800]];
  const cases: [string, [number, number][]][] = [['ct.dcm', [[-600, 1500]]], ['ct.dcm', BRAIN_SUBDURAL_BONE], ['cr1.dcm', [[300, 1]]], ['cr1.dcm', [[500, 300], [200, 100], [700, 900]]]];
  const want = runPython<Record<string, number[]>>(WINDOWED, { dir, cases });
  for (const [name, windows] of cases) {
    const expected = want[name + windows.length]!;
    for (const engine of [torchPixelEngine, onnxPixelEngine]) {
      setPixelEngine(engine);
      const got = await dicomRaster(fs.readFileSync(file(name)), windows);
      assert.equal(got.channels, windows.length, name);
      assert.equal(got.data.length, expected.length);
      let worst = 0;
      got.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - Math.min(255, Math.max(0, expected[i]!)))); });
      assert.ok(worst <= 0.5 + 1e-6, `${name} ${JSON.stringify(windows)} (${engine.name}): ${worst}`);
    }
  }
  setPixelEngine(null);
  // Colour images are used as they are; two windows, or a width under 1, are refused.
  const rgb = await dicomRaster(fs.readFileSync(file('rgb.dcm')), BRAIN_SUBDURAL_BONE);
  assert.deepEqual(rgb.data, (await dicomRaster(fs.readFileSync(file('rgb.dcm')))).data);
  await assert.rejects(dicomRaster(fs.readFileSync(file('ct.dcm')), [[40, 80], [80, 200]]), /one \(a grey image\) or three \(red, green, blue\), not 2/);
  await assert.rejects(dicomRaster(fs.readFileSync(file('ct.dcm')), [[40, 0.5]]), /width a number of at least 1/);
});

test('--dicom-window: the run\'s windows go into the model; predict (checkpoint and .onnx), info and serve read DICOM through them', async () => {
  const work = tempDir('tlearn-dicom-run-');
  const cli = cliIn(work);
  const windows = [[40, 80], [80, 200], [600, 2800]] as [number, number][];
  const run = path.join(work, 'run');
  const trained = await cli(['train', path.join(dir, 'series'), '--arch', 'resnet18', '--weights', 'none', '--image-size', '32', '--batch-size', '4',
    '--epochs1', '1', '--epochs2', '1', '--val-fraction', '0.34', '--test-fraction', '0.17', ...windows.flatMap(([c, w]) => ['--dicom-window', `${c},${w}`]), '--out', run]);
  assert.equal(trained.code, 0, trained.err);
  assert.doesNotMatch(trained.err + trained.out, /dicomWindows has no effect/);
  const model = path.join(run, 'best_model_final.safetensors');
  const info = await cli(['info', model]);
  assert.match(info.out, /DICOM windows\s+40,80; 80,200; 600,2800 \(centre,width: red; green; blue\), instead of each file's own/);
  // The same pixels as an RGB PNG give the same probability: the model saw the DICOM through its three windows.
  const images = path.join(work, 'images');
  fs.mkdirSync(images);
  const one = path.join(dir, 'series', 'blob', '0.dcm');
  fs.copyFileSync(one, path.join(images, 'blob.dcm'));
  const raster = await dicomRaster(fs.readFileSync(one), windows);
  await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } }).png().toFile(path.join(images, 'blob.png'));
  const onnx = path.join(work, 'model.onnx');
  const exported = await cli(['export', model, '--out', onnx]);
  assert.equal(exported.code, 0, exported.err);
  const probability: Record<string, number> = {};
  for (const m of [model, onnx]) {
    const r = await cli(['predict', m, images, '--json']);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { path: string; probability: number }[];
    const [dcm, png] = ['blob.dcm', 'blob.png'].map((n) => rows.find((row) => path.basename(row.path) === n)!.probability);
    assert.ok(Math.abs(dcm! - png!) <= 1e-6, `${path.basename(m)}: ${dcm} vs ${png}`);
    probability[path.extname(m)] = dcm!;
  }
  assert.ok(Math.abs(probability['.safetensors']! - probability['.onnx']!) <= 1e-5);
  await withServer(model, {}, async (s) => {
    const meta = await get(`${s.url}/v1/models/model`);
    assert.deepEqual(meta.body.dicom_windows, windows);
    const r = await post(`${s.url}/v1/predict`, fs.readFileSync(one), 'application/dicom');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(Math.abs(r.body.predictions[0].probability - probability['.safetensors']!) <= 1e-5);
  });
});

test('config: input.dicomWindows takes one or three [centre, width] windows; anything else is refused by name, in a config as in a checkpoint; a run without DICOM files says they do nothing', async () => {
  assert.equal(resolveConfig({ overrides: { data: '/d' } }).input.dicomWindows, null);
  assert.deepEqual(resolveConfig({ overrides: { data: '/d', dicomWindows: [[-600, 1500]] } }).input.dicomWindows, [[-600, 1500]]);
  for (const bad of ['input.dicomWindows=[[40,400],[50,60]]', 'input.dicomWindows=[[40,0]]', 'input.dicomWindows=[40,400]', 'input.dicomWindows=[[40,400,1]]']) {
    assert.throws(() => resolveConfig({ overrides: { data: '/d', set: [bad] } }), (e: Error) => /input\.dicomWindows/.test(e.message), bad);
  }
  assert.deepEqual(completeMetadata({}, seedMetadata('resnet18')).dicomWindows ?? null, null);
  assert.throws(() => completeMetadata({ dicomWindows: [[40, 0]] }, seedMetadata('resnet18')), /dicomWindows .*one or three \[centre, width\] windows/);
  assert.deepEqual(completeMetadata({ dicomWindows: [[40, 400]] }, seedMetadata('resnet18')).dicomWindows, [[40, 400]]);
  const stripes = await makeStripes(tempDir(), { train: 4, val: 2, test: 0 });
  const run = await recordedRun(tinyConfig(stripes, [], { dicomWindows: [[40, 400]], epochs1: 1, epochs2: 1 }));
  const warnings = run.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  assert.ok(warnings.some((w) => /input\.dicomWindows has no effect here: none of the 12 images is a DICOM file/.test(w)), warnings.join('\n'));
});

test('files tlearn cannot read are refused with what they are and what to do', async () => {
  const ct = fs.readFileSync(file('ct.dcm'));
  fs.writeFileSync(file('truncated.dcm'), ct.subarray(0, ct.length - 200));
  fs.writeFileSync(file('damaged.dcm'), Buffer.concat([ct.subarray(0, 140), Buffer.alloc(64, 0xff)]));
  fs.writeFileSync(file('headerless.dcm'), ct.subarray(132));
  const cases: [string, RegExp][] = [
    ['j2k.dcm', /compressed as JPEG 2000 Lossless .*gdcmconv --raw/],
    ['palette.dcm', /PALETTE COLOR .*lookup tables/],
    ['voi-table.dcm', /VOI LUT table and no window/],
    ['no-pixels.dcm', /without pixel data/],
    ['truncated.dcm', /truncated DICOM file/],
    ['short-pixels.dcm', /holds 256 bytes, less than the 512 of one 16x32 frame of 1 × 8-bit samples/],
    ['damaged.dcm', /damaged DICOM file/],
    ['headerless.dcm', /without DICOM's file header \('DICM' at byte 128.*dcmconv \+F/],
  ];
  for (const [name, why] of cases) {
    await assert.rejects(decodeResized(file(name), 16, 'squash'), why, name);
  }
});

test('predict reads .dcm files in a folder (a checkpoint and its .onnx: the probability of the same pixels as a PNG); serve takes them', async () => {
  const work = tempDir('tlearn-dicom-predict-');
  const images = path.join(work, 'images');
  fs.mkdirSync(images);
  fs.copyFileSync(file('ct.dcm'), path.join(images, 'ct.dcm'));
  fs.copyFileSync(file('j2k.dcm'), path.join(images, 'j2k.dcm'));
  const raster = await dicomRaster(fs.readFileSync(file('ct.dcm')));
  await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 1 } }).png().toFile(path.join(images, 'ct.png'));
  const { model, metadata } = tinyClassifier('binary', 'resnet18');
  const ckpt = path.join(work, 'model.safetensors'), onnx = path.join(work, 'model.onnx');
  try {
    const saved = saveModelFile(ckpt, model, metadata);
    model.eval();
    fs.writeFileSync(onnx, exportOnnx(model, saved).bytes);
  } finally {
    model.dispose();
  }
  const cli = cliIn(work);
  const probabilities: number[] = [];
  for (const m of [ckpt, onnx]) {
    const r = await cli(['predict', m, images, '--json']);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { path: string; probability?: number; error?: string }[];
    const at = (n: string) => rows.find((row) => path.basename(row.path) === n)!;
    assert.match(at('j2k.dcm').error!, /JPEG 2000/);
    assert.ok(Math.abs(at('ct.dcm').probability! - at('ct.png').probability!) <= 1e-6, `${path.basename(m)}: the DICOM and its PNG`);
    probabilities.push(at('ct.dcm').probability!);
  }
  assert.ok(Math.abs(probabilities[0]! - probabilities[1]!) <= 1e-5, 'checkpoint and .onnx');
  // serve takes DICOM bodies (application/dicom), decoded in its model worker (libtorch) or decode worker (onnxruntime).
  for (const [model, engine] of [[ckpt, 'libtorch'], [onnx, 'onnx']] as const) {
    await withServer(model, { engine }, async (s) => {
      const ok = await post(`${s.url}/v1/predict`, fs.readFileSync(file('ct.dcm')), 'application/dicom');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.ok(Math.abs(ok.body.predictions[0].probability - probabilities[0]!) <= 1e-5, `${engine}: ${JSON.stringify(ok.body)}`);
      const j2k = await post(`${s.url}/v1/predict`, fs.readFileSync(file('j2k.dcm')), 'application/dicom');
      assert.equal(j2k.status, 415, JSON.stringify(j2k.body));
      assert.match(JSON.stringify(j2k.body), /JPEG 2000/);
      const truncated = await post(`${s.url}/v1/predict`, fs.readFileSync(file('ct.dcm')).subarray(0, 1200), 'application/dicom');
      assert.equal(truncated.status, 400, JSON.stringify(truncated.body));
    });
  }
});

test('the report\'s thumbnails show DICOM images', async () => {
  const t = await makeThumbnail(file('ct.dcm'), 16);
  assert.deepEqual([t.width, t.height], [16, 13]);
  assert.match(t.dataUri, /^data:image\/jpeg;base64,/);
});
