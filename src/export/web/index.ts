// The browser page of `tlearn export --format web` (no libtorch: it takes the ONNX bytes already exported).
export { writeWebPage, webDirProblem, pageModelJson, WEB_PAGE_KIND, TTA_FILES, type WebPageInput, type WrittenWebPage } from './write-page.js';
export { ortWebDir, pageSourceDir, ORT_WEB_FILES, PAGE_FILES, ORT_WEB_INSTALL_HINT } from './page-files.js';
export { pageResizeGraph } from './resize-graph.js';
