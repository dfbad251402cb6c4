// The decodability curve (the paper's accuracy by layer), drawn with Observable Plot as the results
// page's plots are: validation and train accuracy of the logistic probe per layer, chance dashed.
import * as Plot from '@observablehq/plot';
import type { AccuracyPoint } from './probe-logic';

const SERIES = ['validation', 'train', 'chance'];

export function decodabilityPlot(points: AccuracyPoint[], width: number): HTMLElement | SVGSVGElement {
  const measured = points.filter((p) => p.series !== 'chance');
  const chance = points.filter((p) => p.series === 'chance');
  const layers = [...new Set(points.map((p) => p.layer))];
  return Plot.plot({
    width,
    height: 280,
    marginLeft: 50,
    x: { label: 'layer', grid: true, ticks: layers.length <= 12 ? layers : undefined, tickFormat: 'd' },
    y: { label: 'probe accuracy', domain: [0, 1], tickFormat: '%', grid: true },
    color: { legend: true, domain: SERIES, range: ['#c2610c', '#4c8bd6', '#999'] },
    marks: [
      Plot.lineY(chance, { x: 'layer', y: 'accuracy', stroke: 'series', strokeDasharray: '4 3' }),
      Plot.lineY(measured, { x: 'layer', y: 'accuracy', stroke: 'series', strokeWidth: 2, marker: 'circle' }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'layer',
          y: 'accuracy',
          title: (p: AccuracyPoint) => `layer ${p.layer} (${p.corpus})\n${p.series}: ${(p.accuracy * 100).toFixed(1)}%`,
        }),
      ),
    ],
  });
}
