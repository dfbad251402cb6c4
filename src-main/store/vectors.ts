// The `vectors` table (migration vectors): named steering vectors, their values stored in the project
// (d_model float32) with a sha256 over those bytes and where they came from.
import type { VectorSummary } from '../contract/vectors';
import type { Db } from './db';

// Declared once, with the contract's summary of a vector.
export type VectorSource = VectorSummary['source'];

/** A difference of class means (`sightline probe`): v = μ_to − μ_from over a corpus at one layer. */
export type ProbeVectorSource = Extract<VectorSource, { kind: 'probe' }>;

export interface VectorRecord {
  id: number;
  name: string;
  dModel: number;
  sha256: string;
  source: VectorSource;
  values: Float32Array;
  createdAt: number;
}

interface RawVector {
  id: number;
  name: string;
  d_model: number;
  sha256: string;
  source_json: string;
  values_f32: Buffer;
  created_at: number;
}

const toRecord = (raw: RawVector): VectorRecord => ({
  id: raw.id,
  name: raw.name,
  dModel: raw.d_model,
  sha256: raw.sha256,
  source: JSON.parse(raw.source_json) as VectorSource,
  // A copy: the Buffer SQLite hands back may not be 4-byte aligned.
  values: new Float32Array(new Uint8Array(raw.values_f32).buffer),
  createdAt: raw.created_at,
});

/** float32 little-endian bytes, the stored form (and what sha256 is taken over). */
export function vectorBytes(values: Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes;
}

export function insertVector(db: Db, vector: Omit<VectorRecord, 'id'>): number {
  return Number(
    db
      .prepare(
        'INSERT INTO vectors (name, d_model, sha256, source_json, values_f32, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        vector.name,
        vector.dModel,
        vector.sha256,
        JSON.stringify(vector.source),
        vectorBytes(vector.values),
        vector.createdAt,
      ).lastInsertRowid,
  );
}

export function findVectorByName(db: Db, name: string): VectorRecord | undefined {
  const raw = db.prepare('SELECT * FROM vectors WHERE name = ?').get(name) as RawVector | undefined;
  return raw ? toRecord(raw) : undefined;
}

export function findVectorBySha256(db: Db, sha256: string): VectorRecord | undefined {
  const raw = db.prepare('SELECT * FROM vectors WHERE sha256 = ? ORDER BY id LIMIT 1').get(sha256) as
    | RawVector
    | undefined;
  return raw ? toRecord(raw) : undefined;
}

export function listVectors(db: Db): VectorRecord[] {
  return (db.prepare('SELECT * FROM vectors ORDER BY id').all() as RawVector[]).map(toRecord);
}

export function vectorNames(db: Db): string[] {
  return db.prepare('SELECT name FROM vectors ORDER BY id').pluck().all() as string[];
}
