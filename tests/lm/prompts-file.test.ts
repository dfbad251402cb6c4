import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPromptsFile } from '../../src-main/steer/prompts-file';

describe('sweep prompts file', () => {
  it('a missing file is not_found naming the path, not an internal error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-prompts-'));
    const missing = path.join(dir, 'prompts.csv');
    expect(() => readPromptsFile(missing)).toThrow(
      expect.objectContaining({ code: 'not_found', message: `${missing}: no such prompts file` }),
    );
    fs.writeFileSync(path.join(dir, 'prompts.txt'), 'The image shows a\n');
    expect(readPromptsFile(path.join(dir, 'prompts.txt')).map((p) => p.prompt)).toEqual(['The image shows a']);
  });
});
