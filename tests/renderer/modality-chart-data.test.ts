import { describe, expect, it } from 'vitest';
import type { ModalityLayerRow } from '../../src-main/contract';
import { modalityLayerCharts, UNNAMED_MODEL } from '../../src-renderer/src/researcher/charts/modality-chart-data';

function row(
  name: string,
  layer: number | null,
  split: { image: number; text: number; shared: number; dead: number },
  model: string | null = 'llava',
): ModalityLayerRow {
  const alive = split.image + split.text + split.shared;
  const mined = alive + split.dead;
  return {
    saeId: 0,
    name,
    model,
    layer,
    dSae: mined,
    mined,
    ...split,
    sharedFraction: alive ? split.shared / alive : null,
    modalityShare: 0.9,
  };
}

describe('modality-by-layer chart data', () => {
  it('one chart per model with two or more mined layers, in layer order, shares of alive features', () => {
    const charts = modalityLayerCharts([
      row('L20', 20, { image: 10, text: 10, shared: 30, dead: 50 }),
      row('L5', 5, { image: 40, text: 50, shared: 10, dead: 0 }),
      row('unmined', 10, { image: 0, text: 0, shared: 0, dead: 0 }),
      row('other', 5, { image: 1, text: 1, shared: 1, dead: 0 }, 'another model'),
    ]);
    expect(charts).toHaveLength(1);
    const [chart] = charts;
    expect(chart.model).toBe('llava');
    expect(chart.labels).toEqual(['5', '20']);
    expect(chart.fractions.map((f) => [f.layer, f.sharedFraction, f.alive, f.dead])).toEqual([
      [5, 0.1, 100, 0],
      [20, 0.6, 50, 50],
    ]);
    const l20 = chart.bars.filter((bar) => bar.layer === 20);
    expect(l20.map((bar) => [bar.modality, bar.count, bar.share])).toEqual([
      ['shared', 30, 0.6],
      ['image', 10, 0.2],
      ['text', 10, 0.2],
    ]);
    for (const label of chart.labels)
      expect(chart.bars.filter((bar) => bar.label === label).reduce((a, bar) => a + bar.share, 0)).toBeCloseTo(1, 12);
  });

  it('names SAEs that share a layer, groups SAEs without a model, and skips layerless or all-dead ones', () => {
    const charts = modalityLayerCharts([
      row('wide', 10, { image: 1, text: 1, shared: 2, dead: 0 }, null),
      row('narrow', 10, { image: 1, text: 2, shared: 1, dead: 0 }, null),
      row('deep', 12, { image: 1, text: 1, shared: 1, dead: 0 }, null),
      row('no-layer', null, { image: 1, text: 1, shared: 1, dead: 0 }, null),
      row('dead', 14, { image: 0, text: 0, shared: 0, dead: 9 }, null),
    ]);
    expect(charts.map((chart) => [chart.model, chart.labels])).toEqual([
      [UNNAMED_MODEL, ['10 · narrow', '10 · wide', '12']],
    ]);
  });

  it('needs two distinct layers', () => {
    expect(modalityLayerCharts([row('a', 5, { image: 1, text: 1, shared: 1, dead: 0 })])).toEqual([]);
    expect(
      modalityLayerCharts([
        row('a', 5, { image: 1, text: 1, shared: 1, dead: 0 }),
        row('b', 5, { image: 1, text: 1, shared: 1, dead: 0 }),
      ]),
    ).toEqual([]);
  });
});
