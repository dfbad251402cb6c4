// Dense activations that must never load wrong numbers (issue 11): non-finite values in content rows,
// overlapping segments, a document split over shards, and images that are not what they claim
// (devices, directories, huge files, huge declared dimensions). Each is a bad_file error naming the
// file, the field and what was expected, and the project is left unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { importSae } from '../../src-main/importers/sae-import';
import { MAX_IMAGE_BYTES, MAX_IMAGE_SIDE } from '../../src-main/importers/images';
import { MAX_SIDECAR_BYTES } from '../../src-main/importers/sidecar';
import { mine } from '../../src-main/mining/mine';
import type { Project } from '../../src-main/project/project';
import { f32ToF16Bits, npyBytes, safetensorsBytes } from '../engine/fixtures';
import { databaseFingerprint } from '../helpers/fuzz';
import { makeProject, tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from '../mining/synthetic';

const D = 4;
const SPECIAL = { document: 'd', kind: 'special', count: 1 };

/** A shard of `rows` x D values (row + col / 10), with `poke` overriding single values. */
function writeShard(
  dir: string,
  name: string,
  rows: number,
  poke: [number, number, number][] = [],
  dtype: 'F32' | 'F16' = 'F32',
): void {
  const data = Float32Array.from({ length: rows * D }, (_, i) => Math.floor(i / D) + (i % D) / 10);
  for (const [row, col, value] of poke) data[row * D + col] = value;
  const bytes = name.endsWith('.npy')
    ? npyBytes(data, [rows, D], dtype)
    : safetensorsBytes([{ name: 'activations', shape: [rows, D], data, dtype }]);
  fs.writeFileSync(path.join(dir, name), bytes);
}

/** A sidecar in a fresh folder; documents default to one text document "d" of 3 tokens. */
function writeSidecar(
  shards: { path: string; segments: unknown[] }[],
  documents: unknown[] = [{ id: 'd', tokens: ['a', 'b', 'c'] }],
  dir = path.join(tempDir(), 'data'),
): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'activations.json');
  fs.writeFileSync(file, JSON.stringify({ format: 'sightline.activations/1', d_in: D, documents, shards }));
  return file;
}

async function expectRefused(project: Project, sidecar: string, message: RegExp): Promise<void> {
  const before = databaseFingerprint(project.db);
  await expect(importDenseActivations(project, sidecar, 'c')).rejects.toMatchObject({
    code: 'bad_file',
    message: expect.stringMatching(message),
  });
  expect(databaseFingerprint(project.db)).toBe(before);
  const media = path.join(project.dir, 'media');
  expect(fs.existsSync(media) ? fs.readdirSync(media, { recursive: true }) : []).toEqual([]);
}

describe('non-finite activations', () => {
  const text = [SPECIAL, { document: 'd', kind: 'text', start: 0, count: 3 }];

  it('refuses NaN in a content row, naming the shard, the row, its document and token', async () => {
    const sidecar = writeSidecar([{ path: 'acts.safetensors', segments: text }]);
    writeShard(path.dirname(sidecar), 'acts.safetensors', 4, [[2, 3, NaN]]);
    await expectRefused(
      makeProject(),
      sidecar,
      /acts\.safetensors: rows\[2\]: expected finite activations \(a content row: document "d", token 1\), found NaN in column 3/,
    );
  });

  it('refuses Inf in an F16 .npy content row', async () => {
    const sidecar = writeSidecar([{ path: 'acts.npy', segments: text }]);
    writeShard(path.dirname(sidecar), 'acts.npy', 4, [[3, 0, 1e6]], 'F16'); // 1e6 overflows F16 to Inf
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    await expectRefused(
      makeProject(),
      sidecar,
      /acts\.npy: rows\[3\]: expected finite activations \(a content row: document "d", token 2\), found Infinity in column 0/,
    );
  });

  it('accepts non-finite values in special rows, which are never encoded', async () => {
    const sidecar = writeSidecar([{ path: 'acts.safetensors', segments: text }]);
    writeShard(path.dirname(sidecar), 'acts.safetensors', 4, [[0, 1, Infinity]]);
    expect(await importDenseActivations(makeProject(), sidecar, 'c')).toMatchObject({ rows: 4, contentRows: 3 });
  });

  it('makes mine fail with the reason when a shard gained a NaN after import', async () => {
    const project = makeProject();
    const data = writeSyntheticCorpus(path.join(tempDir(), 'data'), { docs: 2, shards: 1 });
    await importDenseActivations(project, data.sidecar, 'c');
    await importSae(project, { path: data.saeDir, name: 'sae' });
    // Row 0 is doc-0's first patch; same size, so the presence check before mining passes.
    const shard = path.join(path.dirname(data.sidecar), 'acts-0.safetensors');
    const bytes = fs.readFileSync(shard);
    const dataStart = 8 + Number(bytes.readBigUInt64LE(0));
    bytes.writeFloatLE(NaN, dataStart + 5 * 4);
    fs.writeFileSync(shard, bytes);
    await expect(mine(project, { sae: 'sae', corpus: 'c', top: 3 })).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(
        /acts-0\.safetensors: rows\[0\]: expected finite activations, found NaN in column 5/,
      ),
    });
    expect(project.db.prepare("SELECT state FROM jobs WHERE kind = 'mine'").pluck().get()).toBe('failed');
    expect(project.db.prepare('SELECT COUNT(*) FROM features').pluck().get()).toBe(0);
  });
});

describe('segments', () => {
  it('refuses a token given two rows (and another none)', async () => {
    const sidecar = writeSidecar([
      {
        path: 'acts.safetensors',
        segments: [
          { document: 'd', kind: 'text', start: 0, count: 2 },
          { document: 'd', kind: 'text', start: 1, count: 1 },
        ],
      },
    ]);
    writeShard(path.dirname(sidecar), 'acts.safetensors', 3);
    await expectRefused(
      makeProject(),
      sidecar,
      /activations\.json: shards\[0\]\.segments\[1\]: expected tokens of document "d" that no other row covers \(shards\[0\]\.segments\[0\] covers tokens 0\.\.1\), found tokens 1\.\.1/,
    );
  });

  it('refuses an image tile given rows twice', async () => {
    const dir = path.join(tempDir(), 'data');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'i.png'), pngHeader(8, 8));
    const image = { document: 'd', kind: 'image', tile: 0 };
    const sidecar = writeSidecar(
      [{ path: 'acts.safetensors', segments: [image, image] }],
      [{ id: 'd', image: 'i.png', tiles: [{ rows: 1, cols: 2 }] }],
      dir,
    );
    writeShard(dir, 'acts.safetensors', 4);
    await expectRefused(
      makeProject(),
      sidecar,
      /shards\[0\]\.segments\[1\]\.tile: expected a tile of document "d" that no other row covers \(shards\[0\]\.segments\[0\] covers tile 0\), found tile 0/,
    );
  });

  it('refuses a document split over two shards', async () => {
    const sidecar = writeSidecar([
      { path: 'a.safetensors', segments: [{ document: 'd', kind: 'text', start: 0, count: 2 }] },
      { path: 'b.safetensors', segments: [{ document: 'd', kind: 'text', start: 2, count: 1 }] },
    ]);
    writeShard(path.dirname(sidecar), 'a.safetensors', 2);
    writeShard(path.dirname(sidecar), 'b.safetensors', 1);
    await expectRefused(
      makeProject(),
      sidecar,
      /activations\.json: shards\[1\]\.segments\[0\]\.document: expected all rows of document "d" in one shard \(they begin in shards\[0\], a\.safetensors\), found rows in b\.safetensors \(tokens 2\.\.2\)/,
    );
  });
});

/** The first bytes of a PNG (signature + IHDR) declaring width x height; enough for the header check. */
function pngHeader(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8;
  b[25] = 6;
  return b;
}

describe('images and the sidecar are read safely', () => {
  function imageSidecar(setUp: (dir: string) => void): string {
    const dir = path.join(tempDir(), 'data');
    fs.mkdirSync(dir);
    setUp(dir);
    const sidecar = writeSidecar(
      [{ path: 'acts.safetensors', segments: [{ document: 'd', kind: 'image', tile: 0 }] }],
      [{ id: 'd', image: 'i.png', tiles: [{ rows: 1, cols: 2 }] }],
      dir,
    );
    writeShard(dir, 'acts.safetensors', 2);
    return sidecar;
  }

  it('refuses an image that is a directory', async () => {
    await expectRefused(
      makeProject(),
      imageSidecar((dir) => fs.mkdirSync(path.join(dir, 'i.png'))),
      /activations\.json: documents\[0\]\.image: expected a regular file, found .*i\.png: a directory/,
    );
  });

  it('refuses an image that is a device (it would be read forever)', async () => {
    await expectRefused(
      makeProject(),
      imageSidecar((dir) => fs.symlinkSync('/dev/zero', path.join(dir, 'i.png'))),
      /documents\[0\]\.image: expected a regular file, found .*i\.png: a character device/,
    );
  });

  it('refuses an image file over the size limit without reading it', async () => {
    const sidecar = imageSidecar((dir) => {
      fs.writeFileSync(path.join(dir, 'i.png'), pngHeader(8, 8));
      fs.truncateSync(path.join(dir, 'i.png'), MAX_IMAGE_BYTES + 1); // sparse: no disk used
    });
    await expectRefused(
      makeProject(),
      sidecar,
      new RegExp(
        `documents\\[0\\]\\.image: expected a file of at most ${MAX_IMAGE_BYTES} bytes, found .*i\\.png: ${MAX_IMAGE_BYTES + 1} bytes`,
      ),
    );
  });

  it('refuses an image whose header declares dimensions over the limit', async () => {
    const sidecar = imageSidecar((dir) => fs.writeFileSync(path.join(dir, 'i.png'), pngHeader(MAX_IMAGE_SIDE + 1, 10)));
    await expectRefused(
      makeProject(),
      sidecar,
      // The sidecar and its field first: the image file alone does not say which document named it.
      new RegExp(
        `^activations\\.json: documents\\[0\\]\\.image: i\\.png: IHDR: expected width and height 1\\.\\.${MAX_IMAGE_SIDE}, found ${MAX_IMAGE_SIDE + 1} x 10$`,
      ),
    );
  });

  it('refuses a JPEG without a frame header', async () => {
    const sidecar = imageSidecar((dir) =>
      fs.writeFileSync(path.join(dir, 'i.png'), Buffer.from([0xff, 0xd8, 0xff, 0xd9, 0, 0, 0, 0, 0, 0, 0, 0])),
    );
    await expectRefused(
      makeProject(),
      sidecar,
      /^activations\.json: documents\[0\]\.image: i\.png: SOF: expected a JPEG frame header \(SOF0-SOF15\) giving the dimensions$/,
    );
  });

  it('records the dimensions of a WebP (VP8X) image', async () => {
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'ascii');
    webp.writeUInt32LE(22, 4);
    webp.write('WEBPVP8X', 8, 'ascii');
    webp.writeUInt32LE(10, 16);
    webp.writeUIntLE(640 - 1, 24, 3);
    webp.writeUIntLE(480 - 1, 27, 3);
    const project = makeProject();
    await importDenseActivations(
      project,
      imageSidecar((dir) => fs.writeFileSync(path.join(dir, 'i.png'), webp)),
      'c',
    );
    expect(project.db.prepare('SELECT mime, width, height FROM media').get()).toEqual({
      mime: 'image/webp',
      width: 640,
      height: 480,
    });
  });

  it('refuses a sidecar over the size limit without reading it', async () => {
    const sidecar = writeSidecar([]);
    fs.truncateSync(sidecar, MAX_SIDECAR_BYTES + 1);
    await expectRefused(
      makeProject(),
      sidecar,
      new RegExp(
        `activations\\.json: \\(file\\): expected a file of at most ${MAX_SIDECAR_BYTES} bytes, found ${MAX_SIDECAR_BYTES + 1} bytes`,
      ),
    );
  });
});
