// `sightline capture --images` from the command line on the LLaVA-NeXT vision fixture: a folder with
// one subfolder per class (labels from the folder names), `--shard i/n` runs then the importing run; a
// CSV with a caption for one image, through the chat template, with caption-only documents from
// `--captions` in the same corpus (each document's rows counted independently from the tokenizer and
// the fixture's image position counts); the refusals, with exit code 2; and capture.start, the same
// capture in the background for the app.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import type { JobProgressEvent } from '../../src-main/contract/types.js';
import { loadLmTokenizer } from '../../src-main/engine/lm/tokenizer.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { getCorpus } from '../../src-main/store/corpora.js';
import { packedLayout } from '../../src-main/engine/vision/pack.js';
import { selectBestResolution } from '../../src-main/engine/vision/preprocess.js';
import { readVisionConfig } from '../../src-main/engine/vision/weights.js';
import { PNG } from 'pngjs';
import { tempDir } from '../engine/fixtures.js';
import { contextFor, researcher } from '../helpers/factories.js';
import { importModel, runJson } from '../helpers/cli.js';
import { fixtureFolder } from '../lm/hf-fixtures.js';
import { expectedVision, VISION_DIR } from './fixtures.js';

let dir: string;
let project: Project;
const image = (name: 'square' | 'wide' | 'tall') => path.join(VISION_DIR, expectedVision().images[name].file);
const positions = (name: 'square' | 'wide' | 'tall') => expectedVision().images[name].image_positions;
const captureWith = (model: string, ...args: string[]) =>
  runJson(['capture', '--project', project.dir, '--model', model, '--provider', 'cpu', ...args]);
const capture = (...args: string[]) => captureWith('vision', ...args);

interface Sidecar {
  documents: {
    id: string;
    tokens: string[];
    image?: string;
    tiles?: { rows: number; cols: number }[];
    meta?: { label?: string };
  }[];
  shards: { segments: { document: string; kind: string; count?: number }[] }[];
}
const sidecarOf = (corpus: string): Sidecar =>
  JSON.parse(fs.readFileSync((getCorpus(project, corpus).source.sidecar as { path: string }).path, 'utf8'));

beforeAll(async () => {
  dir = tempDir();
  const folder = path.join(dir, 'p.sightline');
  expect((await runJson(['init', '--project', folder])).code).toBe(0);
  await importModel(folder, VISION_DIR, 'vision');
  await importModel(folder, fixtureFolder('llama'), 'llama');
  project = openProject(folder);
  for (const [label, name] of [
    ['cat', 'square'],
    ['cat', 'tall'],
    ['dog', 'wide'],
  ] as const) {
    fs.mkdirSync(path.join(dir, 'classes', label), { recursive: true });
    fs.copyFileSync(image(name), path.join(dir, 'classes', label, `${name}.png`));
  }
});
afterAll(() => project.close());

describe('sightline capture --images (command line)', () => {
  it('a folder per class: --shard 0/2 and 1/2 capture, the run without --shard imports, labels from the folders', async () => {
    const args = ['--layers', '2', '--images', path.join(dir, 'classes'), '--chunk', '1'];
    const first = await capture(...args, '--shard', '0/2');
    expect(first.code).toBe(0);
    expect(first.value).toMatchObject({ state: 'done', shard: '0/2', captured: 1 });
    expect(first.value.corpora[0]).toMatchObject({ corpus: 'vision-classes-L2', imported: false });
    expect((await capture(...args, '--shard', '1/2')).value).toMatchObject({ shard: '1/2', captured: 2 });
    const final = await capture(...args);
    expect(final.value).toMatchObject({ state: 'done', shard: null, documents: 3, captured: 0 });
    const sidecar = sidecarOf('vision-classes-L2');
    expect(sidecar.documents.map((d) => [d.id, d.meta?.label])).toEqual([
      ['cat/square.png', 'cat'],
      ['cat/tall.png', 'cat'],
      ['dog/wide.png', 'dog'],
    ]);
    // The default prompt, "<image>\nWhat is shown in this image?": BOS, the image, then its words.
    const tokenizer = loadLmTokenizer(VISION_DIR);
    const promptIds = tokenizer.encode('<image>\nWhat is shown in this image?');
    const names = ['square', 'tall', 'wide'] as const;
    expect(final.value.corpora[0].rows).toBe(names.reduce((n, name) => n + promptIds.length - 1 + positions(name), 0));
  });

  it('--chat with a CSV caption after the prompt, and caption-only documents from --captions in the same corpus', async () => {
    const csv = path.join(dir, 'images.csv');
    fs.writeFileSync(
      csv,
      `image,document,class,caption\n${image('tall')},tall-1,x,A tall picture\n${image('wide')},wide-1,y,\n`,
    );
    const captions = path.join(dir, 'captions.txt');
    fs.writeFileSync(captions, 'A red bus\n');
    const run = await capture('--layers', '1', '--images', csv, '--captions', captions, '--chat', '--corpus', 'chat');
    expect(run.code).toBe(0);
    const tokenizer = loadLmTokenizer(VISION_DIR);
    const chatIds = tokenizer.encodeChat([{ role: 'user', content: '<image>\nWhat is shown in this image?' }], {
      addGenerationPrompt: true,
    });
    const captionIds = tokenizer.encode('A tall picture', { addSpecialTokens: false });
    const rows = (id: string) =>
      sidecarOf('chat-L1')
        .shards.flatMap((s) => s.segments)
        .filter((s) => s.document === id);
    const sidecar = sidecarOf('chat-L1');
    expect(sidecar.documents.map((d) => d.id)).toEqual(['tall-1', 'wide-1', 'caption-1']);
    // The template's BOS is special; "USER:", the prompt's words, "ASSISTANT:" and the caption are text.
    expect(rows('tall-1').map((s) => s.kind)).toEqual(['special', 'text', 'image', 'image', 'text']);
    const tall = sidecar.documents[0];
    // (The fixture's tiny vocabulary spells "USER" and "ASSISTANT" as unknown tokens: text rows too.)
    expect(tall.tokens.join('')).toContain('What is shown in this image?');
    expect(tall.tokens.join('').endsWith(tokenizer.decode(captionIds, { skipSpecialTokens: false }).trim())).toBe(true);
    expect(tall.tokens).toHaveLength(chatIds.length - 2 + captionIds.length);
    expect(sidecar.documents[2].tokens.join('')).toBe('A red bus');
    expect(rows('caption-1').map((s) => s.kind)).toEqual(['special', 'text']);
    const total =
      chatIds.length -
      1 +
      positions('tall') +
      captionIds.length +
      chatIds.length -
      1 +
      positions('wide') +
      tokenizer.encode('A red bus').length;
    expect(run.value.corpora[0].rows).toBe(total);
  });

  it('an image far wider or taller than its grid is captured as transformers packs it: no map rows, or newline rows only', async () => {
    // A 2000x1 strip keeps no row of its anyres map after unpadding; a 1x3000 pole keeps rows of no
    // patch, each still followed by its image_newline position. Both are what the model sees.
    const folder = path.join(dir, 'thin');
    fs.mkdirSync(folder, { recursive: true });
    const sizes = { 'pole.png': [1, 3000], 'strip.png': [2000, 1] } as const;
    for (const [name, [width, height]] of Object.entries(sizes)) {
      const png = new PNG({ width, height });
      png.data.fill(180);
      fs.writeFileSync(path.join(folder, name), PNG.sync.write(png));
    }
    const { config, processor } = readVisionConfig(VISION_DIR);
    const packed = (width: number, height: number) => {
      const best = selectBestResolution([height, width], processor.gridPinpoints);
      const grid: [number, number] = [best[0] / processor.tileSize, best[1] / processor.tileSize];
      return packedLayout({ imageSize: [height, width], grid }, config);
    };
    const pole = packed(...sizes['pole.png']);
    const strip = packed(...sizes['strip.png']);
    expect([pole.rows > 0, pole.cols, strip.rows]).toEqual([true, 0, 0]);

    const run = await capture('--layers', '1', '--images', folder, '--corpus', 'thin');
    expect(run.code, JSON.stringify(run.value)).toBe(0);
    const promptIds = loadLmTokenizer(VISION_DIR).encode('<image>\nWhat is shown in this image?');
    expect(run.value.corpora[0].rows).toBe(2 * (promptIds.length - 1) + pole.count + strip.count);
    const sidecar = sidecarOf('thin-L1');
    const side = Math.sqrt(pole.base);
    for (const doc of sidecar.documents) expect(doc.tiles, doc.id).toEqual([{ rows: side, cols: side }]);
    const kinds = (id: string) =>
      sidecar.shards
        .flatMap((s) => s.segments)
        .filter((s) => s.document === id)
        .map((s) => (s.kind === 'special' && s.count !== 1 ? `${s.count} newline rows` : s.kind));
    expect(kinds('strip.png')).toEqual(['special', 'image', 'text']);
    expect(kinds('pole.png')).toEqual(['special', 'image', `${pole.rows} newline rows`, 'text']);
  });

  it('refuses a text-only model, --prompt without --images, a prompt with two <image> and a bad --shard, with exit code 2', async () => {
    const text = await captureWith('llama', '--layers', '1', '--images', path.join(dir, 'classes'));
    expect(text.code).toBe(2);
    expect(text.value.error.message).toMatch(/model "llama" is LlamaForCausalLM, a text-only model/);
    const refusals: [string[], RegExp][] = [
      [['--captions', path.join(dir, 'captions.txt'), '--prompt', 'x'], /--prompt and --chat are for image documents/],
      [['--images', path.join(dir, 'classes'), '--prompt', '<image> and <image>'], /exactly one <image>.*found 2/],
      [['--images', path.join(dir, 'classes'), '--shard', '2/2'], /--shard: expected i\/n/],
    ];
    for (const [args, message] of refusals) {
      const refused = await capture('--layers', '1', ...args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.value.error.message).toMatch(message);
    }
  });

  it('a CSV image whose header is not an image is refused naming the CSV, the row and the image', async () => {
    fs.writeFileSync(path.join(dir, 'notes.png'), 'not an image at all');
    const csv = path.join(dir, 'broken.csv');
    fs.writeFileSync(csv, `image,label\n${image('square')},cat\nnotes.png,dog\n`);
    const refused = await capture('--layers', '1', '--images', csv);
    expect(refused.code).toBe(1);
    expect(refused.value.error).toMatchObject({
      code: 'bad_file',
      message: 'broken.csv: row 2: image: notes.png: (signature): expected a PNG, JPEG or WebP image',
    });
  });
});

describe('capture.start', () => {
  it('starts the capture in the background: the job id at once, job.progress events, the corpora at the end', async () => {
    const context = contextFor(project, researcher);
    let finish: (event: JobProgressEvent) => void = () => {};
    const ended = new Promise<JobProgressEvent>((resolve) => (finish = resolve));
    context.events.subscribe((name, payload) => {
      const event = payload as JobProgressEvent;
      if (name === 'job.progress' && event.kind === 'capture' && event.state !== 'running') finish(event);
    });
    const input = { layers: [2], images: path.join(dir, 'classes'), corpus: 'bg', chunk: 2, provider: 'cpu' };
    // Refused before the job exists: the call's own error.
    expect(await dispatch('capture.start', { ...input, model: 'nope' }, context)).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    const started = await dispatch('capture.start', { ...input, model: 'vision' }, context);
    // The answer names what the capture will import, before it has run.
    expect(started).toMatchObject({
      ok: true,
      value: {
        jobId: expect.any(Number),
        captureId: expect.stringMatching(/^[0-9a-f]{12}$/),
        corpora: [{ layer: 2, corpus: 'bg-L2' }],
      },
    });
    expect(await ended).toMatchObject({ kind: 'capture', state: 'done', done: 3, total: 3 });
    expect(getCorpus(project, 'bg-L2').shards).toHaveLength(2);
    const { captureId } = (started as { value: { captureId: string } }).value;
    expect(getCorpus(project, 'bg-L2').shards[0].path).toContain(`capture-${captureId}`);
    // The overview's corpus row counts every shard's rows.
    const overview = await dispatch('project.overview', {}, context);
    const rows = getCorpus(project, 'bg-L2').shards.reduce((n, s) => n + s.rows, 0);
    expect(overview).toMatchObject({
      ok: true,
      value: { corpora: expect.arrayContaining([expect.objectContaining({ name: 'bg-L2', rows, documentCount: 3 })]) },
    });
    const jobs = await dispatch('jobs.list', { limit: 1 }, context);
    expect(jobs).toMatchObject({ ok: true, value: [{ kind: 'capture', state: 'done', unit: 'documents' }] });
  });
});
