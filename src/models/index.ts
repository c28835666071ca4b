// Public API of src/models: torchvision-identical ResNets, the seed's binary classifier, pretrained backbone
// loading, and model files (tlearn checkpoints and the seed's plain .pth state_dicts) with their metadata.
export {
  ResNet, ARCHS, RESNET_ARCHS, RESNET_STAGES, RESNET_FACTORIES, resnet18, resnet34, resnet50, resnet101, resnet152,
  isResNetArch, checkArch, featureWidth, isResNetStage, stageOf,
  type ResNetArch, type ResNetStage, type ResNetOptions, type ArchSpec,
} from './resnet.js';
export { BasicBlock, Bottleneck, ResidualBlock, type BlockKind } from './blocks.js';
export {
  BinaryClassifier, ImageClassifier, type BinaryClassifierOptions, type ImageClassifierOptions, type HeadActivation,
} from './classifier.js';
export { runChain } from './chain.js';
export { channelsLastPays, CHANNELS_LAST_MIN_SIZE } from './memory-format.js';
export { recordToTensor, recordsToTensors, tensorToRecord, tensorsToRecords, moduleToRecords } from './state.js';
export { inferResNetArch, headInfo, blockCounts, type HeadInfo } from './infer.js';
export { StagedNet, type StageDef } from './staged.js';
export { TaskHead } from './head.js';
export { Conv2dNormActivation, makeDivisible } from './convnet-parts.js';
export { EfficientNet, MBConv, FusedMBConv, EFFICIENTNET_ARCHS, type EfficientNetArch } from './efficientnet.js';
export { MobileNetV3, InvertedResidual, MOBILENET_V3_ARCHS, type MobileNetV3Arch } from './mobilenetv3.js';
export { FAMILY_BUILDERS, registerFamily, createNet, inferArch, type FamilyBuilder, type NetOptions } from './families.js';
export {
  ARCH_INFO, FAMILY_INFO, ALL_ARCHS, TRAINABLE_ALIASES, isArch, isStageName, checkAnyArch, archInfo, familyOf, familyInfo, isResNetFamily,
  expandTrainable, type Arch, type ArchInfo, type FamilyInfo, type FamilyName,
} from './zoo.js';
export {
  seedMetadata, completeMetadata, metadataToJSON, isTlearnMetadata, toolVersion, IMAGENET_MEAN, IMAGENET_STD,
  RESIZE_MODES, METADATA_KIND, METADATA_VERSION, type ModelMetadata, type ResizeMode,
} from './metadata.js';
export {
  loadModelFile, saveModelFile, modelFileMetadata, checkCheckpointContents, headOutputs, type LoadModelOptions, type LoadedModel, type SaveModelOptions,
} from './model-file.js';
export { TASK_KINDS, MAX_CLASSES, type TaskKind } from './bounds.js';
export { NonFiniteWeightsError, checkFinite, checkFiniteRecords, nonFiniteValue, type NonFiniteValue } from './finite.js';
export {
  loadPretrainedBackbone, loadBackboneFromFile, loadBackboneRecords, createBinaryClassifier, createClassifier, isRegistryName,
  type PretrainedInfo, type CreateBinaryClassifierOptions, type CreateClassifierOptions,
} from './pretrained.js';
export { timmRegNetKeyToTorchvision, timmRegNetToTorchvision, isTimmRegNet, fromTimmLayout } from './regnet-timm.js';
export { pytorchLoadCode, type HeadShape } from './pytorch-code.js';
