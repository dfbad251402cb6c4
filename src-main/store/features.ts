import type {
  ExampleView,
  FeatureDetail,
  FeatureListRow,
  FeatureRow,
  FeatureSampling,
  ImageTile,
  Modality,
  ModalityLayerRow,
} from '../contract/types';
import type { MethodParsedInput } from '../contract';
import { AppError } from '../util/errors';
import { decodeActs } from './acts-json';
import { parseJson, type Db } from './db';
import { type PreviewColumns, withPreview } from './feature-preview';

const FEATURE_COLUMNS = `f.id, f.sae_id AS saeId, s.name AS saeName, s.layer, m.name AS model, f.feature_index AS "index",
  f.density, f.max_activation AS maxActivation, f.fire_count AS fireCount, f.image_count AS imageCount,
  f.text_count AS textCount, f.modality, f.label`;
/** Each feature with its SAE and the SAE's model, which the page header and the list's SAE column show. */
const FEATURE_FROM = 'JOIN saes s ON s.id = f.sae_id LEFT JOIN models m ON m.id = s.model_id';

// Sort keys map to fixed SQL; user input never becomes SQL text.
const ORDER_BY: Record<MethodParsedInput<'features.list'>['sort'], string> = {
  index: 'f.feature_index',
  density: 'f.density',
  max: 'f.max_activation',
  image_share: 'CAST(f.image_count AS REAL) / MAX(1, f.image_count + f.text_count)',
};

/** Each listed feature's index and label, in id order; ids that name no feature are left out. */
export function featureLabels(
  db: Db,
  featureIds: readonly number[],
): { id: number; index: number; label: string | null }[] {
  return db
    .prepare(
      `SELECT f.id, f.feature_index AS "index", f.label FROM features f
       WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.id`,
    )
    .all(JSON.stringify(featureIds)) as { id: number; index: number; label: string | null }[];
}

export function listFeatures(
  db: Db,
  query: MethodParsedInput<'features.list'>,
): { total: number; rows: FeatureListRow[] } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.saeId !== undefined) where.push('f.sae_id = @saeId'), (params.saeId = query.saeId);
  if (query.modality) where.push('f.modality = @modality'), (params.modality = query.modality);
  if (query.labelled !== undefined) where.push(query.labelled ? 'f.label IS NOT NULL' : 'f.label IS NULL');
  if (query.search)
    where.push("f.label LIKE @search ESCAPE '\\'"),
      (params.search = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (query.minDensity !== undefined) where.push('f.density >= @minDensity'), (params.minDensity = query.minDensity);
  if (query.maxDensity !== undefined) where.push('f.density <= @maxDensity'), (params.maxDensity = query.maxDensity);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = db.prepare(`SELECT COUNT(*) FROM features f ${whereSql}`).pluck().get(params) as number;
  const orderSql = `${ORDER_BY[query.sort]} ${query.descending ? 'DESC' : 'ASC'}, f.id`;
  // One query for the page and each row's preview: the page is cut first (inner select), so only
  // its rows look up their top example, by the examples_by_feature index (issue 15: no N+1).
  const rows = db
    .prepare(
      `SELECT ${FEATURE_COLUMNS},
              e.max_activation AS previewMax, e.token_acts_json AS previewTokenActs, e.patch_acts_json AS previewPatchActs,
              e.patch_rows AS previewRows, e.patch_cols AS previewCols, d.tokens_json AS previewTokens, d.media_sha256 AS previewSha
       FROM (SELECT f.id, f.sae_id, f.feature_index, f.density, f.max_activation, f.fire_count, f.image_count, f.text_count,
                    f.modality, f.label
             FROM features f ${whereSql} ORDER BY ${orderSql} LIMIT @limit OFFSET @offset) f
       ${FEATURE_FROM}
       LEFT JOIN examples e ON e.id = (SELECT top.id FROM examples top WHERE top.feature_id = f.id AND top.bucket = 'top' ORDER BY top.rank LIMIT 1)
       LEFT JOIN documents d ON d.id = e.document_id
       ORDER BY ${orderSql}`,
    )
    .all({ ...params, limit: query.limit, offset: query.offset }) as (FeatureRow & PreviewColumns)[];
  return { total, rows: rows.map(withPreview) };
}

interface ExampleRow {
  id: number;
  bucket: string;
  rank: number;
  max_activation: number;
  document_id: number;
  token_acts_json: string | null;
  patch_acts_json: string | null;
  patch_rows: number | null;
  patch_cols: number | null;
  tokens_json: string | null;
  media_sha256: string | null;
  meta_json: string | null;
}

/**
 * The image's anyres tiles (after the base grid) with their activations. Mining stores every tile
 * row-major in patch_acts_json (base first, then each anyres tile, concatenated), which is split
 * here; projects mined before that store the base tile (tile 0) only, and their anyres tiles keep
 * `patches: null`. Returns the base tile's values and the anyres tiles (empty without any).
 */
export function splitTiles(
  grids: { rows: number; cols: number }[] | undefined,
  base: { rows: number; cols: number },
  patches: number[],
): { base: number[]; anyres: ImageTile[] } {
  const tiles = grids && grids.length > 0 ? grids : [base];
  const allStored = tiles.length > 1 && patches.length === tiles.reduce((n, t) => n + t.rows * t.cols, 0);
  const baseSize = base.rows * base.cols;
  let at = baseSize;
  const anyres = tiles.slice(1).map((grid, i) => {
    const size = grid.rows * grid.cols;
    const values = allStored ? patches.slice(at, at + size) : null;
    at += size;
    return { tile: i + 1, rows: grid.rows, cols: grid.cols, patches: values };
  });
  return { base: allStored ? patches.slice(0, baseSize) : patches, anyres };
}

function toExampleView(row: ExampleRow): ExampleView {
  const tokens = parseJson<string[] | null>(row.tokens_json, 'documents.tokens_json');
  const tokenValues = decodeActs(row.token_acts_json, 'examples.token_acts_json');
  const patches = decodeActs(row.patch_acts_json, 'examples.patch_acts_json');
  const grids = parseJson<{ tiles?: { rows: number; cols: number }[] } | null>(
    row.meta_json,
    'documents.meta_json',
  )?.tiles;
  return {
    id: row.id,
    bucket: row.bucket,
    rank: row.rank,
    maxActivation: row.max_activation,
    documentId: row.document_id,
    tokens: tokens && tokenValues ? tokens.map((token, i) => ({ token, value: tokenValues[i] ?? 0 })) : null,
    image:
      row.media_sha256 && patches && row.patch_rows && row.patch_cols
        ? (() => {
            const tiles = splitTiles(
              Array.isArray(grids) ? grids : undefined,
              { rows: row.patch_rows, cols: row.patch_cols },
              patches,
            );
            const image = { sha256: row.media_sha256, rows: row.patch_rows, cols: row.patch_cols, patches: tiles.base };
            return tiles.anyres.length > 0 ? { ...image, anyres: tiles.anyres } : image;
          })()
        : null,
  };
}

/** The row id of a feature given by row id or by SAE name and index (features.get's two addresses). */
export function resolveFeatureId(db: Db, address: MethodParsedInput<'features.get'>): number {
  const { featureId, sae, index } = address;
  if (featureId !== undefined) return featureId;
  // The contract's check lets only complete addresses through; this keeps the types honest.
  if (sae === undefined || index === undefined)
    throw new AppError('invalid_input', 'features.get: expected either featureId, or sae and index');
  const id = db
    .prepare('SELECT f.id FROM features f JOIN saes s ON s.id = f.sae_id WHERE s.name = ? AND f.feature_index = ?')
    .pluck()
    .get(sae, index) as number | undefined;
  if (id === undefined)
    throw new AppError('not_found', `feature ${sae}/${index}: no such SAE, or that feature was not mined`);
  return id;
}

export function getFeature(db: Db, featureId: number): FeatureDetail {
  const feature = db
    .prepare(`SELECT ${FEATURE_COLUMNS} FROM features f ${FEATURE_FROM} WHERE f.id = ?`)
    .get(featureId) as FeatureRow | undefined;
  if (!feature) throw new AppError('not_found', `feature ${featureId}: no such feature`);
  const stored = db
    .prepare('SELECT histogram_json, stats_json, token_count FROM features WHERE id = ?')
    .get(featureId) as {
    histogram_json: string;
    stats_json: string;
    token_count: number;
  };
  const histogram = parseJson<{ edges: number[]; counts: number[] }>(stored.histogram_json, 'features.histogram_json');
  const examples = (
    db
      .prepare(
        `SELECT e.id, e.bucket, e.rank, e.max_activation, e.document_id, e.token_acts_json, e.patch_acts_json, e.patch_rows, e.patch_cols,
                d.tokens_json, d.media_sha256, d.meta_json
         FROM examples e JOIN documents d ON d.id = e.document_id
         WHERE e.feature_id = ? ORDER BY e.bucket = 'top' DESC, e.bucket, e.rank`,
      )
      .all(featureId) as ExampleRow[]
  ).map(toExampleView);
  return {
    feature,
    histogram: Array.isArray(histogram) ? { edges: [], counts: [] } : histogram,
    examples,
    sampling: samplingOf(
      parseJson<Record<string, unknown> | null>(stored.stats_json, 'features.stats_json'),
      stored.token_count,
    ),
  };
}

const stringOr = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numberOr = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** What the mining run recorded in stats_json (older runs may name the scheme `scheme`). */
export function samplingOf(stats: Record<string, unknown> | null, tokenCount: number): FeatureSampling {
  const s = stats && typeof stats === 'object' && !Array.isArray(stats) ? stats : {};
  return {
    scheme: stringOr(s.quantileScheme) ?? stringOr(s.scheme),
    quantiles: numberOr(s.quantiles),
    perQuantile: numberOr(s.perQuantile),
    modalityShare: numberOr(s.modalityShare),
    histogram: stringOr(s.histogram),
    sampling: stringOr(s.sampling),
    corpus: stringOr(s.corpus),
    provider: stringOr(s.provider),
    providerReason: stringOr(s.providerReason),
    tokenCount,
  };
}

/**
 * Per SAE, how its mined features split by modality: image-only, text-only, shared and dead, and
 * the shared fraction of the alive ones. The paper's finding is that this fraction grows with depth.
 */
export function modalityByLayer(db: Db): ModalityLayerRow[] {
  const rows = db
    .prepare(
      `SELECT s.id AS saeId, s.name, m.name AS model, s.layer, s.d_sae AS dSae,
              COUNT(f.id) AS mined,
              COALESCE(SUM(f.modality = 'image'), 0) AS image,
              COALESCE(SUM(f.modality = 'text'), 0) AS text,
              COALESCE(SUM(f.modality = 'shared'), 0) AS shared,
              COALESCE(SUM(f.modality = 'dead'), 0) AS dead,
              (SELECT json_extract(stats_json, '$.modalityShare') FROM features WHERE sae_id = s.id LIMIT 1) AS modalityShare
       FROM saes s
       LEFT JOIN models m ON m.id = s.model_id
       LEFT JOIN features f ON f.sae_id = s.id
       GROUP BY s.id
       ORDER BY m.name, s.layer, s.id`,
    )
    .all() as Omit<ModalityLayerRow, 'sharedFraction'>[];
  return rows.map((row) => {
    const alive = row.image + row.text + row.shared;
    return {
      ...row,
      modalityShare: numberOr(row.modalityShare),
      sharedFraction: alive > 0 ? row.shared / alive : null,
    };
  });
}

/** stats_json of one of the SAE's mined features (every feature of a run carries the run's stats). */
export function miningStatsOfSae(db: Db, saeId: number): string | undefined {
  return db.prepare('SELECT stats_json FROM features WHERE sae_id = ? LIMIT 1').pluck().get(saeId) as
    | string
    | undefined;
}

/** The row id of the SAE's mined feature `index`, or undefined when it was not mined. */
export function featureIdOfIndex(db: Db, saeId: number, index: number): number | undefined {
  return db.prepare('SELECT id FROM features WHERE sae_id = ? AND feature_index = ?').pluck().get(saeId, index) as
    | number
    | undefined;
}

/** The mined features among these indices of an SAE, with their labels (null when unlabelled). */
export function minedFeaturesByIndex(
  db: Db,
  saeId: number,
  indices: readonly number[],
): Map<number, { label: string | null; modality: string }> {
  const rows = db
    .prepare(
      `SELECT feature_index AS "index", label, modality FROM features
       WHERE sae_id = ? AND feature_index IN (SELECT value FROM json_each(?))`,
    )
    .all(saeId, JSON.stringify(indices)) as { index: number; label: string | null; modality: string }[];
  return new Map(rows.map((row) => [row.index, { label: row.label, modality: row.modality }]));
}

/** The SAE's mined features' statistics by index, as the CLI lists them. */
export function featureStatsOfSae(
  db: Db,
  saeId: number,
): {
  index: number;
  fireCount: number;
  tokenCount: number;
  density: number;
  maxActivation: number;
  imageCount: number;
  textCount: number;
  modality: string;
}[] {
  return db
    .prepare(
      `SELECT feature_index AS "index", fire_count AS fireCount, token_count AS tokenCount, density, max_activation AS maxActivation,
              image_count AS imageCount, text_count AS textCount, modality FROM features WHERE sae_id = ? ORDER BY feature_index`,
    )
    .all(saeId) as ReturnType<typeof featureStatsOfSae>;
}

/** Where a mined feature sits: its index, modality and SAE; undefined for a feature id no longer in the project. */
export function featurePlacement(
  db: Db,
  featureId: number,
): { index: number; modality: string; saeId: number } | undefined {
  return db
    .prepare('SELECT feature_index AS "index", modality, sae_id AS saeId FROM features WHERE id = ?')
    .get(featureId) as { index: number; modality: string; saeId: number } | undefined;
}

/**
 * The demo's labelling of its planted features, with both statements prepared once for the
 * per-feature loop: look a mined feature up, then set its label and ground truth in stats_json.
 */
export function plantedFeatureLabeller(db: Db): {
  find(saeId: number, index: number): { id: number; modality: Modality; fireCount: number };
  label(featureId: number, label: string | null, planted: string, variant: string): void;
} {
  const find = db.prepare(
    'SELECT id, modality, fire_count AS fireCount FROM features WHERE sae_id = ? AND feature_index = ?',
  );
  const annotate = db.prepare(
    "UPDATE features SET label = ?, stats_json = json_set(stats_json, '$.planted', ?, '$.planted_variant', ?) WHERE id = ?",
  );
  return {
    find: (saeId, index) => find.get(saeId, index) as { id: number; modality: Modality; fireCount: number },
    label: (featureId, label, planted, variant) => void annotate.run(label, planted, variant, featureId),
  };
}
