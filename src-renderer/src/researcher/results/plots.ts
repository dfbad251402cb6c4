// The results page's plots, drawn with Observable Plot from rows shaped in results-logic.ts.
import * as Plot from '@observablehq/plot';
import type { CoherencePoint, DosePoint, ModalityCell, ScoreBin } from './results-logic';

/** Success (target chosen) against k: a line per layer, Wilson 95% intervals as a band and rules. */
export function doseResponsePlot(points: DosePoint[], width: number): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width,
    height: 300,
    marginLeft: 50,
    x: { label: 'steering coefficient k', grid: true },
    y: { label: 'success rate (target chosen)', domain: [0, 1], tickFormat: '%', grid: true },
    color: { legend: true, label: 'layer' },
    marks: [
      Plot.areaY(points, { x: 'k', y1: 'lower', y2: 'upper', fill: 'series', fillOpacity: 0.12, curve: 'linear' }),
      Plot.ruleX(points, { x: 'k', y1: 'lower', y2: 'upper', stroke: 'series', strokeOpacity: 0.6 }),
      Plot.lineY(points, { x: 'k', y: 'rate', stroke: 'series', strokeWidth: 2, marker: 'circle' }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'k',
          y: 'rate',
          title: (p: DosePoint) => `${p.series}, k = ${p.k}\n${p.successes} / ${p.n} = ${(p.rate * 100).toFixed(1)}%\n95% CI [${(p.lower * 100).toFixed(1)}%, ${(p.upper * 100).toFixed(1)}%]`,
        }),
      ),
      Plot.ruleY([0]),
    ],
  });
}

/** Mean answer of one numeric question (e.g. coherence) against k, a line per layer, Student-t 95% intervals as rules. */
export function coherencePlot(points: CoherencePoint[], width: number, domain: [number, number] | undefined): HTMLElement | SVGSVGElement {
  const questions = new Set(points.map((point) => point.question));
  const series = (p: CoherencePoint) => (questions.size > 1 ? `${p.series} · ${p.question}` : p.series);
  const bounded = points.filter((point) => point.lower !== null && point.upper !== null);
  return Plot.plot({
    width,
    height: 240,
    marginLeft: 50,
    x: { label: 'steering coefficient k', grid: true },
    y: { label: questions.size === 1 ? `mean ${[...questions][0]}` : 'mean rating', grid: true, ...(domain ? { domain } : {}) },
    color: { legend: true },
    marks: [
      Plot.ruleX(bounded, { x: 'k', y1: 'lower', y2: 'upper', stroke: series, strokeOpacity: 0.6 }),
      Plot.lineY(points, { x: 'k', y: 'mean', stroke: series, strokeWidth: 2, marker: 'circle' }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'k',
          y: 'mean',
          title: (p: CoherencePoint) => `${series(p)}, k = ${p.k}\nmean ${p.question} ${p.mean.toFixed(2)} (n = ${p.n})${p.lower === null ? '' : `\n95% CI [${p.lower.toFixed(2)}, ${(p.upper ?? 0).toFixed(2)}]`}`,
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
export function modalityPlot(cells: ModalityCell[], width: number, votes: string[], mined: string[]): HTMLElement | SVGSVGElement {
  return Plot.plot({
    width: Math.min(width, 520),
    height: 240,
    marginLeft: 70,
    x: { label: "raters' vote", axis: 'top', type: 'band', domain: votes },
    y: { label: 'mined modality', type: 'band', domain: mined },
    color: { scheme: 'oranges', domain: [0, 1], legend: true, label: 'share of votes', tickFormat: '%' },
    marks: [
      Plot.cell(cells, { x: 'vote', y: 'mined', fill: 'share', inset: 1, tip: true, title: (c: ModalityCell) => `mined ${c.mined}, voted ${c.vote}: ${c.count}` }),
      Plot.text(cells, { x: 'vote', y: 'mined', text: (c: ModalityCell) => String(c.count), fill: (c: ModalityCell) => (c.share > 0.6 ? 'white' : 'black') }),
    ],
  });
}
