// Runs the demo's generated files through the real pipeline, layer by layer: `import-sae`,
// `import-activations` and `mine` (the same functions the CLI calls; mining encodes on the ONNX
// engine worker). Then links the SAEs to the demo model and labels about half of the live features.
import { importDenseActivations } from '../importers/activations-import';
import { importSae } from '../importers/sae-import';
import { mine } from '../mining/mine';
import type { Project } from '../project/project';
import type { Modality } from '../contract/types';
import type { LayerFiles } from './files';
import { MODEL_NAME } from './files';
import { insertWeightlessModel } from '../store/models';
import { plantedFeatureLabeller } from '../store/features';
import { saeIdByName, setSaeModel } from '../store/saes';
import { D_IN, labelOf, type LayerPlan, type Unit } from './layers';

/** Top documents kept per feature (the CLI's default). */
const TOP_EXAMPLES = 20;

export interface MinedFeature {
  id: number;
  saeName: string;
  layer: number;
  index: number;
  unit: Unit;
  modality: Modality;
  fireCount: number;
}

export interface MinedLayer {
  layer: number;
  saeName: string;
  saeId: number;
  features: MinedFeature[];
}

/** Import and mine every layer. Each step commits on its own, as it does from the CLI. */
export async function importAndMine(
  project: Project,
  files: LayerFiles[],
  info?: (line: string) => void,
): Promise<void> {
  for (const layer of files) {
    await importSae(project, { path: layer.saeDir, name: layer.saeName });
    await importDenseActivations(project, layer.sidecar, layer.corpusName);
    // CPU with one thread: the demo is tiny, and its mined numbers must not depend on the machine.
    const summary = await mine(project, {
      sae: layer.saeName,
      corpus: layer.corpusName,
      top: TOP_EXAMPLES,
      provider: 'cpu',
      threads: 1,
    });
    info?.(
      `demo: mined ${summary.sae} over ${summary.tokens} tokens, ${summary.alive} live features (${summary.seconds.toFixed(1)} s)`,
    );
  }
}

/**
 * Inside the demo's final transaction: the model row, each SAE linked to it, and each planted
 * feature's label (about half; the rest are for raters) and ground truth (stats_json.planted).
 */
export function labelMinedFeatures(
  project: Project,
  plans: LayerPlan[],
  files: LayerFiles[],
  createdAt: number,
): MinedLayer[] {
  const { db } = project;
  const modelId = insertWeightlessModel(
    db,
    MODEL_NAME,
    { d_model: D_IN, note: 'demo stand-in for a vision-language model; no weights' },
    createdAt,
  );
  const planted = plantedFeatureLabeller(db);
  return plans.map((plan, i) => {
    const { saeName } = files[i];
    const saeId = saeIdByName(db, saeName) as number;
    setSaeModel(db, saeId, modelId);
    const features = plan.units.map((unit) => {
      const row = planted.find(saeId, unit.featureIndex);
      // A label on a feature that never fired would describe nothing the researcher can see.
      planted.label(row.id, row.fireCount > 0 ? labelOf(unit) : null, unit.concept.planted, unit.variant);
      return {
        id: row.id,
        saeName,
        layer: plan.layer,
        index: unit.featureIndex,
        unit,
        modality: row.modality,
        fireCount: row.fireCount,
      };
    });
    return { layer: plan.layer, saeName, saeId, features };
  });
}
