// The results page's plots, drawn with Observable Plot from rows shaped in results-logic.ts.
import * as Plot from '@observablehq/plot';
import {
  numericOrder,
  type CoherencePoint,
  type DosePoint,
  type ModalityCell,
  type RatePoint,
  type ScoreBin,
} from './results-logic';

/** Series names in numeric order ("layer 5" before "layer 10"), for a colour legend that reads in order. */
const seriesDomain = (points: readonly { series: string }[]): string[] =>
  [...new Set(points.map((point) => point.series))].sort(numericOrder);

/** Success (target chosen) against k: a line per layer, Wilson 95% intervals as a band and rules. */
export function doseResponsePlot(points: DosePoint[], width: number): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 50,
    x: { label: 'steering coefficient k', grid: true },
    y: { label: 'success rate (target chosen)', domain: [0, 1], tickFormat: '%', grid: true },
    color: { legend: true, label: 'layer', domain: seriesDomain(points) },
    marks: [
      Plot.areaY(points, { x: 'k', y1: 'lower', y2: 'upper', fill: 'series', fillOpacity: 0.12, curve: 'linear' }),
      Plot.ruleX(points, { x: 'k', y1: 'lower', y2: 'upper', stroke: 'series', strokeOpacity: 0.6 }),
      Plot.lineY(points, { x: 'k', y: 'rate', stroke: 'series', strokeWidth: 2, marker: 'circle' }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'k',
          y: 'rate',
          title: (p: DosePoint) =>
            `${p.series}, k = ${p.k}\n${p.successes} / ${p.n} = ${(p.rate * 100).toFixed(1)}%\n95% CI [${(p.lower * 100).toFixed(1)}%, ${(p.upper * 100).toFixed(1)}%]`,
        }),
      ),
      Plot.ruleY([0]),
    ],
  });
}

/** Mean answer of one numeric question (e.g. coherence) against k, a line per layer, Student-t 95% intervals as rules. */
export function coherencePlot(
  points: CoherencePoint[],
  width: number,
  domain: [number, number] | undefined,
): HTMLElement | SVGSVGElement {
  const questions = new Set(points.map((point) => point.question));
  const series = (p: CoherencePoint) => (questions.size > 1 ? `${p.series} · ${p.question}` : p.series);
  // A t interval can run past the ends of the scale (mean 4.8 of 1–5); the axis stays the whole
  // scale, and the interval is drawn up to its end rather than cut off by the frame (issue 15).
  const clamp = (value: number) => (domain ? Math.min(domain[1], Math.max(domain[0], value)) : value);
  const bounded = points
    .filter((point) => point.lower !== null && point.upper !== null)
    .map((point) => ({ ...point, lower: clamp(point.lower as number), upper: clamp(point.upper as number) }));
  const colours = [...new Set(points.map(series))].sort(numericOrder);
  return Plot.plot({
    width,
    height: 240,
    marginLeft: 50,
    x: { label: 'steering coefficient k', grid: true },
    y: {
      label: questions.size === 1 ? `mean ${[...questions][0]}` : 'mean rating',
      grid: true,
      ...(domain ? { domain, nice: false } : {}),
    },
    color: { legend: true, domain: colours },
    marks: [
      Plot.ruleX(bounded, { x: 'k', y1: 'lower', y2: 'upper', stroke: series, strokeOpacity: 0.6 }),
      Plot.lineY(points, { x: 'k', y: 'mean', stroke: series, strokeWidth: 2, marker: 'circle' }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'k',
          y: 'mean',
          title: (p: CoherencePoint) =>
            `${series(p)}, k = ${p.k}\nmean ${p.question} ${p.mean.toFixed(2)} (n = ${p.n})${p.lower === null ? '' : `\n95% CI [${p.lower.toFixed(2)}, ${(p.upper ?? 0).toFixed(2)}]`}`,
        }),
      ),
    ],
  });
}

export function scoreHistogramPlot(bins: ScoreBin[], width: number, label: string): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 50,
    x: { label, type: 'band' },
    y: { label: 'ratings', grid: true },
    marks: [Plot.barY(bins, { x: 'score', y: 'count', fill: '#c2610c', tip: true }), Plot.ruleY([0])],
  });
}

/** Mined modality (rows) against raters' votes (columns): share of each row's votes, count on hover. */
export function modalityPlot(
  cells: ModalityCell[],
  width: number,
  votes: string[],
  mined: string[],
): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width: Math.min(width, 520),
    height: 240,
    marginLeft: 70,
    x: { label: "raters' vote", axis: 'top', type: 'band', domain: votes },
    y: { label: 'mined modality', type: 'band', domain: mined },
    color: { scheme: 'oranges', domain: [0, 1], legend: true, label: 'share of votes', tickFormat: '%' },
    marks: [
      Plot.cell(cells, {
        x: 'vote',
        y: 'mined',
        fill: 'share',
        inset: 1,
        tip: true,
        title: (c: ModalityCell) => `mined ${c.mined}, voted ${c.vote}: ${c.count}`,
      }),
      Plot.text(cells, {
        x: 'vote',
        y: 'mined',
        text: (c: ModalityCell) => String(c.count),
        fill: (c: ModalityCell) => (c.share > 0.6 ? 'white' : 'black'),
      }),
    ],
  });
}

/**
 * Shares with their Wilson 95% intervals, one row each (features, buckets, systems): a dot and the
 * whole interval on a fixed 0–100% axis, with an optional reference line (chance).
 */
export function ratePlot(
  points: RatePoint[],
  width: number,
  label: string,
  reference?: { value: number; label: string },
): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width,
    height: Math.max(120, 40 + points.length * 28),
    marginLeft: 150,
    x: { label, domain: [0, 1], tickFormat: '%', grid: true },
    y: { label: null, type: 'band', domain: points.map((point) => point.name) },
    marks: [
      ...(reference
        ? [
            Plot.ruleX([reference.value], { stroke: '#999', strokeDasharray: '4 3' }),
            Plot.text([reference], { x: 'value', text: 'label', frameAnchor: 'top', dy: -4, fill: '#777' }),
          ]
        : []),
      Plot.ruleY(points, { y: 'name', x1: 'lower', x2: 'upper', stroke: '#c2610c', strokeWidth: 2 }),
      Plot.dot(points, { y: 'name', x: 'rate', fill: '#c2610c', r: 4 }),
      Plot.tip(
        points,
        Plot.pointer({
          y: 'name',
          x: 'rate',
          title: (p: RatePoint) =>
            `${p.name}: ${p.successes} / ${p.n} = ${(p.rate * 100).toFixed(1)}%\n95% CI [${(p.lower * 100).toFixed(1)}%, ${(p.upper * 100).toFixed(1)}%]`,
        }),
      ),
    ],
  });
}
