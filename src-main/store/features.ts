import type { ExampleView, FeatureDetail, FeatureRow } from '../contract/types';
import type { MethodParsedInput } from '../contract';
import { AppError } from '../util/errors';
import { parseJson, type Db } from './db';

const FEATURE_COLUMNS = `f.id, f.sae_id AS saeId, f.feature_index AS "index", f.density, f.max_activation AS maxActivation,
  f.fire_count AS fireCount, f.image_count AS imageCount, f.text_count AS textCount, f.modality, f.label`;

// Sort keys map to fixed SQL; user input never becomes SQL text.
const ORDER_BY: Record<MethodParsedInput<'features.list'>['sort'], string> = {
  index: 'f.feature_index',
  density: 'f.density',
  max: 'f.max_activation',
  image_share: 'CAST(f.image_count AS REAL) / MAX(1, f.image_count + f.text_count)',
};

export function listFeatures(db: Db, query: MethodParsedInput<'features.list'>): { total: number; rows: FeatureRow[] } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.saeId !== undefined) (where.push('f.sae_id = @saeId'), (params.saeId = query.saeId));
  if (query.modality) (where.push('f.modality = @modality'), (params.modality = query.modality));
  if (query.labelled !== undefined) where.push(query.labelled ? 'f.label IS NOT NULL' : 'f.label IS NULL');
  if (query.search) (where.push("f.label LIKE @search ESCAPE '\\'"), (params.search = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (query.minDensity !== undefined) (where.push('f.density >= @minDensity'), (params.minDensity = query.minDensity));
  if (query.maxDensity !== undefined) (where.push('f.density <= @maxDensity'), (params.maxDensity = query.maxDensity));
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = db.prepare(`SELECT COUNT(*) FROM features f ${whereSql}`).pluck().get(params) as number;
  const direction = query.descending ? 'DESC' : 'ASC';
  const rows = db
    .prepare(`SELECT ${FEATURE_COLUMNS} FROM features f ${whereSql} ORDER BY ${ORDER_BY[query.sort]} ${direction}, f.id LIMIT @limit OFFSET @offset`)
    .all({ ...params, limit: query.limit, offset: query.offset }) as FeatureRow[];
  return { total, rows };
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
}

function toExampleView(row: ExampleRow): ExampleView {
  const tokens = parseJson<string[] | null>(row.tokens_json, 'documents.tokens_json');
  const tokenValues = parseJson<number[] | null>(row.token_acts_json, 'examples.token_acts_json');
  const patches = parseJson<number[] | null>(row.patch_acts_json, 'examples.patch_acts_json');
  return {
    id: row.id,
    bucket: row.bucket,
    rank: row.rank,
    maxActivation: row.max_activation,
    documentId: row.document_id,
    tokens: tokens && tokenValues ? tokens.map((token, i) => ({ token, value: tokenValues[i] ?? 0 })) : null,
    image:
      row.media_sha256 && patches && row.patch_rows && row.patch_cols
        ? { sha256: row.media_sha256, rows: row.patch_rows, cols: row.patch_cols, patches }
        : null,
  };
}

export function getFeature(db: Db, featureId: number): FeatureDetail {
  const feature = db.prepare(`SELECT ${FEATURE_COLUMNS} FROM features f WHERE f.id = ?`).get(featureId) as FeatureRow | undefined;
  if (!feature) throw new AppError('not_found', `feature ${featureId}: no such feature`);
  const histogram = parseJson<{ edges: number[]; counts: number[] }>(
    db.prepare('SELECT histogram_json FROM features WHERE id = ?').pluck().get(featureId) as string,
    'features.histogram_json',
  );
  const examples = (
    db
      .prepare(
        `SELECT e.id, e.bucket, e.rank, e.max_activation, e.document_id, e.token_acts_json, e.patch_acts_json, e.patch_rows, e.patch_cols,
                d.tokens_json, d.media_sha256
         FROM examples e JOIN documents d ON d.id = e.document_id
         WHERE e.feature_id = ? ORDER BY e.bucket = 'top' DESC, e.bucket, e.rank`,
      )
      .all(featureId) as ExampleRow[]
  ).map(toExampleView);
  return { feature, histogram: Array.isArray(histogram) ? { edges: [], counts: [] } : histogram, examples };
}
