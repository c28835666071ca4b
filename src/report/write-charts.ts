// Writes every available chart as SVG and PNG into a directory (the evaluation directory contract).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicAsync } from '../io/atomic.js';
import type { ChartData } from './types.js';
import { chartSpecs, type ChartName } from './charts/index.js';
import { renderSvg, svgToPng, DEFAULT_PNG_SCALE } from './vega.js';

export interface WriteChartsOptions {
  /** Which formats to write; default both. */
  formats?: ('svg' | 'png')[];
  /** PNG pixels per SVG pixel; default 2. */
  pngScale?: number;
}

export interface RenderedChart {
  name: ChartName;
  caption: string;
  svg: string;
}

/** Renders every available chart to SVG strings (used by both writeCharts and the HTML report). */
export async function renderCharts(data: ChartData): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const c of chartSpecs(data)) {
    try {
      out.push({ name: c.name, caption: c.caption, svg: await renderSvg(c.spec) });
    } catch (e) {
      throw new Error(`rendering chart ${c.name} failed: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * Writes `<dir>/<chart>.svg` and `.png` for each chart whose data is present (atomically: io's writer removes
 * its temporary file when a write fails, so a full disk leaves neither half a chart nor a stray temp file):
 * roc_curve, pr_curve, confusion_matrix, training_curves, probability_histogram, reliability.
 * Returns the paths written, in order.
 */
export async function writeCharts(dir: string, data: ChartData, opts: WriteChartsOptions = {}): Promise<string[]> {
  return writeRenderedCharts(dir, await renderCharts(data), opts);
}

/** Writes charts already rendered (e.g. a C-class report's, from multiClassSections) as writeCharts does. */
export async function writeRenderedCharts(dir: string, charts: RenderedChart[], opts: WriteChartsOptions = {}): Promise<string[]> {
  const formats = opts.formats ?? ['svg', 'png'];
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const chart of charts) {
    if (formats.includes('svg')) {
      const f = join(dir, `${chart.name}.svg`);
      await writeFileAtomicAsync(f, chart.svg);
      written.push(f);
    }
    if (formats.includes('png')) {
      const f = join(dir, `${chart.name}.png`);
      await writeFileAtomicAsync(f, await svgToPng(chart.svg, opts.pngScale ?? DEFAULT_PNG_SCALE));
      written.push(f);
    }
  }
  return written;
}
