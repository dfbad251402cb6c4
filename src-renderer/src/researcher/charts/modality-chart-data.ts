// Shapes features.modalityByLayer for the per-layer sharing chart: one chart per model with at
// least two mined layers, stacked shares of alive features (shared at the bottom, so its growth
// with depth reads directly) and the shared fraction per layer.
import type { ModalityLayerRow } from '../../../../src-main/contract';

export const CHART_MODALITIES = ['shared', 'image', 'text'] as const;
export type ChartModality = (typeof CHART_MODALITIES)[number];

export interface ModalityBar {
  /** x label: the layer, with the SAE's name when two SAEs share a layer */
  label: string;
  layer: number;
  sae: string;
  modality: ChartModality;
  count: number;
  /** count / alive features of that SAE */
  share: number;
}

export interface ModalityLayerChart {
  model: string;
  /** x labels in layer order */
  labels: string[];
  bars: ModalityBar[];
  fractions: { label: string; layer: number; sae: string; sharedFraction: number; alive: number; dead: number }[];
}

export const UNNAMED_MODEL = 'SAEs without a model';

/** Charts for every model with at least `minLayers` mined SAEs that have a layer and alive features. */
export function modalityLayerCharts(rows: readonly ModalityLayerRow[], minLayers = 2): ModalityLayerChart[] {
  const byModel = new Map<string, ModalityLayerRow[]>();
  for (const row of rows) {
    if (row.layer === null || row.mined === 0 || row.sharedFraction === null) continue;
    const model = row.model ?? UNNAMED_MODEL;
    byModel.set(model, [...(byModel.get(model) ?? []), row]);
  }
  const charts: ModalityLayerChart[] = [];
  for (const [model, list] of byModel) {
    const sorted = [...list].sort((a, b) => a.layer! - b.layer! || a.name.localeCompare(b.name));
    if (new Set(sorted.map((row) => row.layer)).size < minLayers) continue;
    const perLayer = new Map<number, number>();
    for (const row of sorted) perLayer.set(row.layer!, (perLayer.get(row.layer!) ?? 0) + 1);
    const labelOf = (row: ModalityLayerRow) =>
      perLayer.get(row.layer!)! > 1 ? `${row.layer} · ${row.name}` : String(row.layer);
    const bars: ModalityBar[] = [];
    const fractions: ModalityLayerChart['fractions'] = [];
    for (const row of sorted) {
      const alive = row.image + row.text + row.shared;
      const label = labelOf(row);
      for (const modality of CHART_MODALITIES)
        bars.push({
          label,
          layer: row.layer!,
          sae: row.name,
          modality,
          count: row[modality],
          share: row[modality] / alive,
        });
      fractions.push({
        label,
        layer: row.layer!,
        sae: row.name,
        sharedFraction: row.sharedFraction!,
        alive,
        dead: row.dead,
      });
    }
    charts.push({ model, labels: sorted.map(labelOf), bars, fractions });
  }
  return charts;
}
