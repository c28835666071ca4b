// Explanations of a model's decisions: Grad-CAM maps (libtorch) and their overlays (sharp).
export { camLayers, camTarget, defaultCamLayer, gradCam, type CamLayer, type CamResult, type CamTarget } from './gradcam.js';
export { blend, colorize, jetTable, overlayPng } from './overlay.js';
export { explain, outputNames, predictedClass, type ExplainOptions, type ExplainRow } from './explain.js';
export { camOverlays, type OverlayThumbnail } from './thumbnails.js';
