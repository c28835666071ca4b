// DICOM decoding: milliseconds per 512×512 CT slice (int16, rescale to Hounsfield units, its own soft-tissue window)
// to the 224 px network input, tlearn's decodeResized (dicom-parser, the window in libtorch, sharp's resize) against
// what a PyTorch notebook does (pydicom's dcmread, pixel_array, apply_modality_lut, apply_voi_lut, the scaling to
// bytes, PIL's resize), one thread each, on the same files. Three windows as RGB channels are timed on tlearn's side.
//
//   npx tsx bench/dicom.ts [--n 100]      (or node dist/bench/dicom.js)
//
// Measured 2026-12-07 beside a CI run (2 cores, 100 images): 20.8 ms (three windows 24.0) against 35.9 ms, 1.73×.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeResized } from '../src/data/decode.js';
import { setNumThreads } from '../src/torch/index.js';
import { flagArgs, runPythonBench } from './common.js';

const flags = flagArgs();
const n = Number(flags.n ?? 100);
setNumThreads(1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlearn-bench-dicom-'));

try {
  // The files, and the reference timing, come from Python: pydicom writes them, then reads them as a notebook would.
  const ref = runPythonBench<{ ms: number }>(`
import os, time, numpy as np, pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
rng = np.random.default_rng(0)
files = []
for i in range(8):
    meta = FileMetaDataset(); meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = generate_uid(); meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset(); ds.file_meta = meta; ds.is_little_endian = True; ds.is_implicit_VR = False
    ds.Rows = ds.Columns = 512; ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16; ds.BitsStored = 12; ds.HighBit = 11; ds.PixelRepresentation = 1
    ds.RescaleSlope = 1; ds.RescaleIntercept = -1024; ds.WindowCenter = 40; ds.WindowWidth = 400
    ds.PixelData = rng.integers(0, 2400, (512, 512)).astype(np.int16).tobytes()
    f = os.path.join(inp['dir'], f'{i}.dcm'); ds.save_as(f, write_like_original=False); files.append(f)

def load(f):
    ds = pydicom.dcmread(f)
    y = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    lo, hi = -2048 - 1024, 2047 - 1024
    g = np.clip(np.round((y - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(g).convert('RGB').resize((224, 224), Image.BILINEAR))

load(files[0])
t0 = time.perf_counter()
for k in range(inp['n']): load(files[k % len(files)])
print(json.dumps({'ms': (time.perf_counter() - t0) / inp['n'] * 1000}))
`, { dir, n }, 1);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => path.join(dir, f));
  const timeOf = async (windows: [number, number][] | null): Promise<number> => {
    await decodeResized(files[0]!, 224, 'squash', undefined, { dicomWindows: windows });
    const t0 = performance.now();
    for (let k = 0; k < n; k++) await decodeResized(files[k % files.length]!, 224, 'squash', undefined, { dicomWindows: windows });
    return (performance.now() - t0) / n;
  };
  const own = await timeOf(null);
  const three = await timeOf([[40, 80], [80, 200], [600, 2800]]);
  console.log(`DICOM 512×512 CT slice to a 224 px input, ${n} images, one thread: ms per image`);
  console.log(`tlearn, the file's window      ${own.toFixed(2).padStart(7)}`);
  console.log(`tlearn, three windows as RGB   ${three.toFixed(2).padStart(7)}`);
  console.log(`pydicom + PIL, the file's one  ${ref.ms.toFixed(2).padStart(7)}   (ratio ${(ref.ms / own).toFixed(2)}× in tlearn's favour)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
