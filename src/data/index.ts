// Public API of the data area: sources, split, manifest and audit, decoding, transforms, cache, loader, and
// turning batches into tensors.
export * from './types.js';
export { deriveSeed, Rng } from './rng.js';
export { IMAGE_EXTENSIONS, isImageFile, loadSource, parseSplitName, type SourceOptions } from './sources.js';
export { outputFolderKind, unsupportedImagesText } from './names.js';
export { FolderLinkError, FolderWalker, imageFilesIn, type WalkEntry } from './walk.js';
export { allocate, checkFractions, DEFAULT_FRACTIONS, stratifiedSplit, type SplitFractions } from './split.js';
export { iterativeSplit } from './split-multilabel.js';
export {
  MANIFEST_HEADER, MANIFEST_HEADER_MULTILABEL, probeDataset, probeFile, writeManifest, type Probe, type ProbeDecode, type ProbeOptions, type ProbeResult,
} from './manifest.js';
export { fmtSignificant } from '../format/numbers.js';
export { auditWarnings, buildAudit, formatAuditSummary, IMBALANCE_THRESHOLD, SMALL_CLASS, TOP_PAIRS, writeAudit, type Audit, type AuditFile } from './audit.js';
export { ProbeMemo } from './probe-memo.js';
export { checkSplits, prepareData, type PrepareOptions, type PreparedData } from './prepare.js';
export {
  ALPHA_BACKGROUND, cropResize, decodeCount, decodeFull, decodeResized, evalGeometry, extractRaw, imageSize, MAX_INPUT_PIXELS,
  openImage, resizeRaw, RESIZE_KERNEL, roundHalfEven, verifyDecodes, type Box, type DecodeOptions, type ImageInput, type RawImage,
} from './decode.js';
export { decoderReason, diagnoseDecode, isLostReason } from './decode-reasons.js';
export { checkDicomWindows, dicomRaster, readDicom, type DicomRaster, type DicomWindow } from './dicom.js';
export { resampleHeight, resampleWidth } from './resample.js';
export {
  AUGMENT_SPECS, drawJitter, IMAGENET_MEAN, IMAGENET_STD, isViewDeterministic, randomResizedCropBox,
  type AugmentSpec, type JitterParams,
} from './transforms.js';
export {
  baseCacheKey, defaultCacheBytes, evalCacheKey, fileStamp, ImageCache, type CacheStats, type FileStat, type ImageCacheOptions,
} from './cache.js';
export {
  DataLoader, viewKey, type Batch, type BatchPlan, type DataLoaderOptions, type LoaderItem, type SkippedItem, type ViewKey,
} from './loader.js';
export { SAMPLERS, type SamplerKind } from './epoch-plan.js';
export { balancedOrder, drawNumbers } from './balanced.js';
export { compose, orient, orientationsOf, type Orientation } from './orientation.js';
export { formatCsv, parseCsv, type CsvRow } from './csv.js';
export { countLine, formatDuration, periodicProgress, TenSeconds } from './progress.js';
export { mapLimit, Semaphore } from './pool.js';
export { batchTensors, imagesTensor, labelsTensor, type BatchTensors, type PixelBatch } from './tensor.js';
