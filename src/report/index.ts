// Public API of the report layer: charts (Vega-Lite -> SVG/PNG) and the self-contained HTML report.
export type {
  RocData, PrData, ConfusionData, HistoryRow, ProbabilityData, CalibrationData, ChartData,
  PredictionRow, AuditData, AuditFinding, ReportData, PhaseEpoch, TrainingMarks, ReportSection,
} from './types.js';
export { auditReportData, isAuditJson, type AuditJsonLike, type AuditReportOptions } from './audit.js';
export { writeCharts, writeRenderedCharts, renderCharts, type WriteChartsOptions, type RenderedChart } from './write-charts.js';
export { writeReport, renderReportHtml, scopeSvgIds, REPORT_CSP, type RenderedParts, type WriteReportResult } from './html.js';
export { renderSvg, svgToPng, svgSize, DEFAULT_PNG_SCALE } from './vega.js';
export {
  CHART_NAMES, chartSpecs, rocSpec, prSpec, confusionSpec, confusionFromCounts, trainingSpec, histogramSpec, reliabilitySpec,
  type ChartName, type ChartSpec,
} from './charts/index.js';
export { mostConfidentlyWrong, buildGallery, loadThumbnail, classIndex, type Mistake, type GalleryItem } from './gallery.js';
export { makeThumbnail, type Thumbnail } from './thumbnails.js';
export { chartDataFromMetrics, probabilityDataFromPredictions, type MetricsJsonLike } from './from-metrics.js';
export { escapeHtml } from './escape.js';
// C-class (multiclass, multilabel) evaluations: the sections and charts src/eval adds to the page (issue 16).
export { multiClassSections, multiLabelSections, type MultiSections, type MultiSectionsOptions } from './multi/sections.js';
export type { MultiClassView, MultiLabelView } from './multi/view.js';
export { multiClassStats, multiLabelStats, type ClassStats, type OvrCurve, type MultiClassStats, type MultiLabelStats } from './multi/per-class.js';
export { confusedPairs, labelErrorGroups, type ConfusedPair, type ConfusedImage, type LabelErrorGroup, type LabelErrorImage } from './multi/confused.js';
export { perClassTableHtml } from './multi/class-table.js';
export { multiConfusionSpec, confusionCells, cellStep, type ConfusionCell } from './charts/confusion-multi.js';
export { ovrRocSpec, selectRocCurves, ROC_MAX_CURVES, ROC_EXTREMES, type OvrRocCurve, type RocSelection } from './charts/roc-multi.js';
export { calibrationSection, conformalSection, ttaSection, type ComparisonColumn, type ConformalSummary } from './trust.js';
