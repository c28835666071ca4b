// The report sections of a C-class evaluation (multiclass or multilabel): the per-class table, the row-normalised
// confusion matrix (multiclass), the one-vs-rest ROC curves and the gallery of errors grouped by confused pair
// (multilabel: by label and kind of error). The caller passes `sections` to writeReport and writes `charts`
// (confusion_matrix, roc_curve: the binary report's file names) with writeRenderedCharts.
import { isAbsolute, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { ReportSection } from '../types.js';
import type { ChartName } from '../charts/index.js';
import { escapeHtml as esc } from '../escape.js';
import { fmt } from '../format.js';
import { scopeSvgIds } from '../html.js';
import { loadThumbnail } from '../gallery.js';
import { galleryFigure } from '../gallery-figure.js';
import { renderSvg, svgSize } from '../vega.js';
import type { RenderedChart } from '../write-charts.js';
import { multiConfusionSpec } from '../charts/confusion-multi.js';
import { ovrRocSpec } from '../charts/roc-multi.js';
import { perClassTableHtml } from './class-table.js';
import { confusedPairs, labelErrorGroups } from './confused.js';
import { multiClassStats, multiLabelStats, type ClassStats } from './per-class.js';
import type { MultiClassView, MultiLabelView } from './view.js';
import type { Thumbnail } from '../thumbnails.js';

export interface MultiSectionsOptions {
  /** Which split the images are (default 'test'): the headings say it. */
  split?: 'train' | 'val' | 'test' | 'all';
  gallery?: {
    /** Groups shown (confused pairs, or label errors); default 6. */
    maxGroups?: number;
    /** Images shown per group; default 6. */
    perGroup?: number;
    thumbnailSize?: number;
    /** Folder that relative paths are read under. */
    imageRoot?: string;
    /**
     * Grad-CAM overlays (issue 20) of the images (absolute paths) for the class indices, by index; an image
     * without one shows its plain thumbnail. Multiclass: the predicted class; multilabel: the group's label.
     */
    overlays?: (files: string[], classes: number[]) => Promise<Map<number, Thumbnail>>;
  };
}

export interface MultiSections {
  /** In page order: per-class table, charts, errors. */
  sections: ReportSection[];
  /** confusion_matrix (multiclass only) and roc_curve (when at least one class has a curve). */
  charts: RenderedChart[];
  /** The numbers of the table, for a caller that also wants them (e.g. in metrics.json). */
  stats: ClassStats[];
  /** Images whose thumbnail could not be read (left out of the gallery). */
  gallerySkipped: string[];
}

async function render(name: ChartName, caption: string, spec: TopLevelSpec): Promise<RenderedChart> {
  try {
    return { name, caption, svg: await renderSvg(spec) };
  } catch (e) {
    throw new Error(`rendering chart ${name} failed: ${(e as Error).message}`);
  }
}

/** Wider than this, a chart keeps its size and the page scrolls it sideways: shrunk to fit, 50 labels get too small. */
const SCROLL_WIDER_THAN = 1000;

function figures(charts: RenderedChart[]): string {
  return charts.map((c, i) => {
    // Prefix 'm' keeps ids apart from the binary charts' 'c0', 'c1' should a page hold both.
    let svg = scopeSvgIds(c.svg, `m${i}`);
    const wide = svgSize(svg).width > SCROLL_WIDER_THAN;
    if (wide) svg = svg.replace(/^<svg\b/, '<svg style="max-width:none"');
    return `<figure id="fig-${c.name}" aria-label="${esc(c.caption)}"${wide ? ' style="overflow-x:auto"' : ''}>${svg}</figure>`;
  }).join('\n');
}

const imagesWord = (split: string, n: number) => `${split === 'all' ? '' : `${split} `}image${n === 1 ? '' : 's'}`;

interface Group<T> { heading: string; count: number; images: T[] }

/** The image of a group with the class whose Grad-CAM it shows and the caption line of that overlay. */
interface Cam { target: number; caption: string }

/**
 * Thumbnails of the first groups' first images (their overlays where the caller gives them: one call for the
 * whole gallery); unreadable images are skipped and counted.
 */
async function galleryHtml<T extends { path: string }>(groups: Group<T>[], caption: (img: T) => string, opts: MultiSectionsOptions['gallery'] = {},
  split: string, cam: (img: T) => Cam): Promise<{ html: string; skipped: string[] }> {
  const size = opts.thumbnailSize ?? 96;
  const skipped: string[] = [];
  const blocks: string[] = [];
  const shownGroups = groups.slice(0, opts.maxGroups ?? 6).map((g) => ({ g, images: g.images.slice(0, opts.perGroup ?? 6) }));
  const all = shownGroups.flatMap((s) => s.images);
  const file = (p: string) => (opts.imageRoot && !isAbsolute(p) ? resolve(opts.imageRoot, p) : p);
  const overlays = opts.overlays && all.length ? await opts.overlays(all.map((img) => file(img.path)), all.map((img) => cam(img).target)) : new Map<number, Thumbnail>();
  let k = 0;
  for (const { g, images } of shownGroups) {
    const items: string[] = [];
    for (const img of images) {
      const overlay = overlays.get(k++);
      let t: Thumbnail;
      try {
        t = overlay ?? await loadThumbnail(img.path, opts);
      } catch {
        skipped.push(img.path);
        continue;
      }
      items.push(galleryFigure(img.path, t, size, caption(img) + (overlay ? `<div class="muted">${cam(img).caption}</div>` : '')));
    }
    const shown = Math.min(g.count, opts.perGroup ?? 6);
    blocks.push(`<h3>${g.heading} · ${g.count} ${esc(imagesWord(split, g.count))}${shown < g.count ? `, the ${shown} most confident shown` : ''}</h3>` +
      (items.length ? `<div class="gallery">${items.join('\n')}</div>` : ''));
  }
  return { html: blocks.join('\n'), skipped };
}

function tableSection(stats: ClassStats[], unit: 'class' | 'label'): ReportSection {
  const name = unit === 'class' ? 'Per class' : 'Per label';
  return { id: 'per-class', name, html: `<section id="per-class"><h2>${name}</h2>${perClassTableHtml(stats, unit)}</section>` };
}

function chartsSection(charts: RenderedChart[]): ReportSection[] {
  return charts.length ? [{ id: 'class-plots', name: 'Plots', html: `<section id="class-plots"><h2>Evaluation plots</h2>${figures(charts)}</section>` }] : [];
}

export async function multiClassSections(view: MultiClassView, opts: MultiSectionsOptions = {}): Promise<MultiSections> {
  const split = opts.split ?? 'test';
  const { stats, curves, predicted, confusion } = multiClassStats(view);
  const charts = [await render('confusion_matrix', 'Confusion matrix', multiConfusionSpec(view.classes, confusion))];
  if (curves.length) charts.push(await render('roc_curve', 'One-vs-rest ROC curves', ovrRocSpec(curves, view.classes.length, 'class')));
  const names = view.classes;
  const pairs = confusedPairs(view, predicted);
  const groups = pairs.map((p) => ({ heading: `true <b>${esc(names[p.truth])}</b> → predicted <span class="wrong">${esc(names[p.predicted])}</span>`, count: p.count, images: p.images.map((img) => ({ ...img, pair: p })) }));
  const gallery = await galleryHtml(groups, (img) =>
    `<div class="wrong">p(${esc(names[img.pair.predicted])}) = ${esc(fmt(img.pPredicted, 3))}</div><div class="muted">p(${esc(names[img.pair.truth])}) = ${esc(fmt(img.pTrue, 3))}</div>`,
  opts.gallery, split, (img) => ({ target: img.pair.predicted, caption: 'Grad-CAM of the prediction' }));
  const mistakes = pairs.reduce((a, p) => a + p.count, 0);
  const shownPairs = Math.min(pairs.length, opts.gallery?.maxGroups ?? 6);
  const note = mistakes === 0 ? `No misclassified ${imagesWord(split, 2)}.`
    : `${mistakes} misclassified ${imagesWord(split, mistakes)} in ${pairs.length} confused pair${pairs.length === 1 ? '' : 's'} (true → predicted)` +
      `${shownPairs < pairs.length ? `; the ${shownPairs} most frequent shown` : ''}, most confident first.` +
      (gallery.skipped.length ? ` ${gallery.skipped.length} could not be read and ${gallery.skipped.length === 1 ? 'was' : 'were'} skipped.` : '');
  const errors: ReportSection = {
    id: 'errors', name: 'Misclassified',
    html: `<section id="errors"><h2>Most confused pairs</h2><p class="muted">${esc(note)}</p>\n${gallery.html}</section>`,
  };
  return { sections: [tableSection(stats, 'class'), ...chartsSection(charts), errors], charts, stats, gallerySkipped: gallery.skipped };
}

export async function multiLabelSections(view: MultiLabelView, opts: MultiSectionsOptions = {}): Promise<MultiSections> {
  const split = opts.split ?? 'test';
  const { stats, curves, predicted } = multiLabelStats(view);
  const charts = curves.length ? [await render('roc_curve', 'One-vs-rest ROC curves', ovrRocSpec(curves, view.classes.length, 'label'))] : [];
  const names = view.classes;
  const found = labelErrorGroups(view, predicted);
  const groups = found.map((g) => ({
    heading: `<b>${esc(names[g.label])}</b> ${g.kind === 'missed' ? '<span class="wrong">missed</span> (the image has it)' : '<span class="wrong">false alarm</span> (the image does not have it)'}`,
    count: g.count, images: g.images.map((img) => ({ ...img, group: g })),
  }));
  const gallery = await galleryHtml(groups, (img) =>
    `<div class="wrong">p(${esc(names[img.group.label])}) = ${esc(fmt(img.probability, 3))}</div><div class="muted">threshold ${esc(fmt(img.group.threshold, 3))}</div>`,
  opts.gallery, split, (img) => ({ target: img.group.label, caption: `Grad-CAM of ${esc(names[img.group.label])}` }));
  const errors = found.reduce((a, g) => a + g.count, 0);
  const shown = Math.min(found.length, opts.gallery?.maxGroups ?? 6);
  const note = errors === 0 ? `No label wrong on any ${imagesWord(split, 1)}.`
    : `${errors} wrong label decision${errors === 1 ? '' : 's'} (missed or false alarm) in ${found.length} group${found.length === 1 ? '' : 's'}` +
      `${shown < found.length ? `; the ${shown} largest shown` : ''}, furthest from the label's threshold first.` +
      (gallery.skipped.length ? ` ${gallery.skipped.length} could not be read and ${gallery.skipped.length === 1 ? 'was' : 'were'} skipped.` : '');
  const section: ReportSection = {
    id: 'errors', name: 'Label errors',
    html: `<section id="errors"><h2>Label errors by label</h2><p class="muted">${esc(note)}</p>\n${gallery.html}</section>`,
  };
  return { sections: [tableSection(stats, 'label'), ...chartsSection(charts), section], charts, stats, gallerySkipped: gallery.skipped };
}
