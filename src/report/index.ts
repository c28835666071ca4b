// Public API of the report layer: charts (Vega-Lite -> SVG/PNG) and the self-contained HTML report.
export type {
  RocData, PrData, ConfusionData, HistoryRow, ProbabilityData, CalibrationData, ChartData,
  PredictionRow, AuditData, AuditFinding, ReportData, PhaseEpoch, TrainingMarks,
} from './types.js';
export { auditReportData, isAuditJson, type AuditJsonLike, type AuditReportOptions } from './audit.js';
export { writeCharts, renderCharts, type WriteChartsOptions, type RenderedChart } from './write-charts.js';
export { writeReport, renderReportHtml, scopeSvgIds, REPORT_CSP, type RenderedParts, type WriteReportResult } from './html.js';
export { renderSvg, svgToPng, svgSize, DEFAULT_PNG_SCALE } from './vega.js';
export {
  CHART_NAMES, chartSpecs, rocSpec, prSpec, confusionSpec, confusionFromCounts, trainingSpec, histogramSpec, reliabilitySpec,
  type ChartName, type ChartSpec,
} from './charts/index.js';
export { mostConfidentlyWrong, buildGallery, classIndex, type Mistake, type GalleryItem } from './gallery.js';
export { makeThumbnail, type Thumbnail } from './thumbnails.js';
export { chartDataFromMetrics, probabilityDataFromPredictions, type MetricsJsonLike } from './from-metrics.js';
export { escapeHtml } from './escape.js';
