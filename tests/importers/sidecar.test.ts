// Bad sidecars: each names the file, the field and the expectation, and leaves the project unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDenseActivations } from '../../src-main/importers/activations-import';
import { makeProject, tempDir } from '../helpers/factories';
import { writeSyntheticCorpus } from '../mining/synthetic';

function tampered(edit: (sidecar: Record<string, any>) => void) {
  const data = writeSyntheticCorpus(path.join(tempDir(), 'data'), { docs: 4, shards: 1 });
  const sidecar = JSON.parse(fs.readFileSync(data.sidecar, 'utf8'));
  edit(sidecar);
  fs.writeFileSync(data.sidecar, JSON.stringify(sidecar));
  return data.sidecar;
}

const empty = (project: ReturnType<typeof makeProject>) =>
  ['corpora', 'documents', 'activation_shards', 'media'].map((t) =>
    project.db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get(),
  );

describe('import-activations sidecar', () => {
  const cases: [string, (s: Record<string, any>) => void, RegExp][] = [
    [
      'row count',
      (s) => s.shards[0].segments.pop(),
      /activations\.json: shards\[0\]\.segments: expected \d+ rows in total \(the rows of acts-0\.safetensors\), found \d+ rows/,
    ],
    ['d_in', (s) => (s.d_in = 32), /acts-0\.safetensors: shape: expected \[n_tokens, 32\]/],
    [
      'token position',
      (s) => (s.shards[0].segments.find((g: any) => g.kind === 'text').start = 7),
      /shards\[0\]\.segments\[\d+\]\.start: expected token positions within document "doc-0" \(3 tokens\), found 7\.\.9/,
    ],
    [
      'tile',
      (s) => (s.shards[0].segments[0].tile = 5),
      /shards\[0\]\.segments\[0\]\.tile: expected a tile index below 2/,
    ],
    [
      'unknown document',
      (s) => (s.shards[0].segments[0].document = 'nope'),
      /segments\[0\]\.document: expected the id of a document/,
    ],
    ['schema', (s) => (s.format = 'other'), /activations\.json: format: expected/],
  ];
  for (const [name, edit, message] of cases) {
    it(`refuses a sidecar with a wrong ${name}`, async () => {
      const project = makeProject();
      await expect(importDenseActivations(project, tampered(edit), 'c')).rejects.toMatchObject({
        code: 'bad_file',
        message: expect.stringMatching(message),
      });
      expect(empty(project)).toEqual([0, 0, 0, 0]);
    });
  }
});
