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
import { saveModelFile } from '../src/models/index.js';
import { makeThumbnail } from '../src/report/thumbnails.js';
import { cliIn } from './helpers/cli.js';
import { post, withServer } from './helpers/serve.js';
import { tinyClassifier } from './helpers/onnx-models.js';
import { runPython } from './helpers/python.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

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
