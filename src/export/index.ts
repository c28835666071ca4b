// Deployment exports of a trained model (above models and eval): the ONNX graph writer.
export * from './onnx/index.js';
