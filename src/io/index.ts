// Public API of src/io: checkpoint formats (safetensors, torch.save .pth), the restricted unpickler,
// key adapters for other ResNet layouts, and the pretrained-weights registry and cache.
export {
  DTYPE_NAMES, byteLength, checkRawTensor, dtypeSize, fromTypedArray, isDTypeName, numel, typedArray,
  type DTypeName, type RawTensor, type StateDictRecords, type TypedArrayFor,
} from './dtypes.js';
export {
  MAX_HEADER_SIZE, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type SafetensorsContents,
} from './safetensors.js';
export { parsePth, readPth, extractStateDict, materializeTensor, toPlain, METADATA_ATTRIBUTE, type PthContents, type PthReadOptions, type StateDictResult } from './pth-read.js';
export { writePth, serializePth, archiveNameFor, type PthWriteOptions } from './pth-write.js';
export { unpickle, PickleError, type UnpickleOptions, type UnpickleResult } from './pickle.js';
export { PyDict, PyGlobal, PyStorage, PyTensor, isTuple } from './pickle-types.js';
export { readZipEntries, zipEntryData, buildZip, type ZipEntry } from './zip.js';
export {
  saveCheckpoint, loadCheckpoint, checkpointFormatFor, detectCheckpointFormat, sidecarPath,
  encodeSafetensorsMetadata, decodeSafetensorsMetadata, type Checkpoint, type CheckpointFormat, type SaveCheckpointOptions,
} from './checkpoint.js';
export { adaptToTorchvision, transformersKeyToTorchvision, type AdaptedKeys, type KeyLayout } from './key-adapters.js';
export {
  WEIGHTS, DEFAULT_BASE_URL, listWeights, findWeights, fetchWeights, locateWeights, weightsCachePath, weightsCacheDir,
  tlearnCacheDir, torchHubCheckpointDirs, hashPrefixOf, expectedSha256, weightsFileProblem, weightsUrl, sha256File, WeightsDownloadError,
  type WeightsEntry, type WeightsOptions, type ResNetArch,
} from './weights.js';
export { huggingFaceHubCache, huggingFaceEndpoint } from './timm-weights.js';
export { writeFileAtomic, writeFileAtomicAsync } from './atomic.js';
export { OutputPathError, outputPathProblem, checkOutputPath, makeOutputFolder } from './output-path.js';
