import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src-main/cli/main';
import { makeProject, tempDir } from '../helpers/factories';
import { ratedConceptCampaign } from './fixtures';

afterEach(() => vi.restoreAllMocks());

function capture() {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  return { out: () => stdout, err: () => stderr };
}

describe('sightline export / results / import-results', () => {
  it('exports every format, prints results and re-imports the MTurk file', async () => {
    const project = makeProject();
    ratedConceptCampaign(project, 3);
    const dir = tempDir();
    const io = capture();
    for (const format of ['jsonl', 'csv', 'parquet', 'hf', 'mturk', 'labelstudio']) {
      const out = path.join(dir, `out-${format}`);
      expect(
        await runCli([
          'export',
          '--project',
          project.dir,
          '--campaign',
          'Which concept?',
          '--format',
          format,
          '--out',
          out,
        ]),
      ).toBe(0);
      expect(fs.existsSync(out)).toBe(true);
    }
    expect(io.out()).toContain('Provenance:');
    expect(
      await runCli(['results', '--project', project.dir, '--campaign', 'Which concept?', '--replicates', '50']),
    ).toBe(0);
    expect(io.out()).toContain('Agreement');
    expect(io.out()).toMatch(/concept\s+choice\s+9\s+3/);
    expect(
      await runCli([
        'results',
        '--project',
        project.dir,
        '--campaign',
        'Which concept?',
        '--replicates',
        '50',
        '--json',
      ]),
    ).toBe(0);
    const json = JSON.parse(io.out().trim().split('\n').pop()!);
    expect(json.questions[0].questionId).toBe('concept');
    // Cohen's kappa of every rater pair (3 raters, 3 items each), not only the mean; the table lists them too.
    expect(
      json.questions[0].cohenByPair.map((pair: { raterA: string; raterB: string; items: number }) => [
        pair.raterA,
        pair.raterB,
        pair.items,
      ]),
    ).toEqual([
      ['R001', 'R002', 3],
      ['R001', 'R003', 3],
      ['R002', 'R003', 3],
    ]);
    expect(io.out()).toMatch(/Cohen's kappa per rater pair[\s\S]*concept\s+R002\s+R003\s+3\s/);
    // Steering as data: success against k (items at k 0, 5, 10 on layer 20, 3 raters each) with Wilson bounds, per layer and per class pair.
    expect(json.steering.byLayer.map((curve: { layer: number }) => curve.layer)).toEqual([20]);
    const points = json.steering.byLayer[0].points as {
      k: number;
      n: number;
      rate: number;
      lower: number;
      upper: number;
    }[];
    expect(points.map((point) => [point.k, point.n])).toEqual([
      [0, 3],
      [5, 3],
      [10, 3],
    ]);
    expect(points.every((point) => point.lower <= point.rate && point.rate <= point.upper)).toBe(true);
    expect(json.steering.byClassPair).toHaveLength(3);
    expect(io.out()).toMatch(/Steering: success = answer\.concept == hidden\.target_class/);
    expect(
      await runCli([
        'import-results',
        '--project',
        project.dir,
        '--campaign',
        'again',
        '--format',
        'mturk',
        '--path',
        path.join(dir, 'out-mturk'),
      ]),
    ).toBe(0);
    expect(io.out()).toContain('Imported 9 judgements on 3 items by 3 workers');
    // Every other importable format: the folder is recognised as a Hugging Face dataset; files without an extension name their format.
    const hfCode = await runCli([
      'import-results',
      '--project',
      project.dir,
      '--campaign',
      'from hf',
      '--path',
      path.join(dir, 'out-hf'),
    ]);
    expect(hfCode, io.err()).toBe(0);
    expect(io.out()).toContain('Imported 9 judgements on 3 items by 3 raters from hf into campaign "from hf"');
    for (const format of ['jsonl', 'csv', 'parquet', 'label-studio']) {
      const file = path.join(dir, `out-${format === 'label-studio' ? 'labelstudio' : format}`);
      expect(
        await runCli([
          'import-results',
          '--project',
          project.dir,
          '--campaign',
          `from ${format}`,
          '--format',
          format,
          '--path',
          file,
        ]),
      ).toBe(0);
      expect(io.out()).toContain(`Imported 9 judgements on 3 items by 3 raters from ${format}`);
    }
    expect(
      await runCli([
        'import-results',
        '--project',
        project.dir,
        '--campaign',
        'np',
        '--format',
        'neuronpedia',
        '--path',
        path.join(dir, 'out-jsonl'),
      ]),
    ).toBe(2);
    expect(io.err()).toContain('per-feature explanations, not judgements');
    expect(
      await runCli([
        'export',
        '--project',
        project.dir,
        '--campaign',
        'Which concept?',
        '--format',
        'xml',
        '--out',
        path.join(dir, 'x'),
      ]),
    ).toBe(2);
    expect(io.err()).toContain('--format: expected one of jsonl, csv, parquet, hf, mturk, labelstudio, neuronpedia');
  });
});
