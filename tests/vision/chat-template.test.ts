// llava-hf checkpoints keep their chat template in chat_template.json (the processor's), and it reads
// each message's content as typed parts ({type: 'image'}, {type: 'text', text}). Sightline's --chat
// turns the typed prompt ("<image>\nWhat ...") into those parts and must give the ids transformers'
// processor gives (tests/fixtures/make_llava_chat_expected.py: apply_chat_template, then the processor
// call the model cards show, which adds BOS and expands <image>), with the vicuna variant's published
// template and a mistral-shaped one.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentParts, loadLmTokenizer, readsContentParts } from '../../src-main/engine/lm/tokenizer.js';
import { expandImageTokens } from '../../src-main/engine/vision/pack.js';
import { openProject, type Project } from '../../src-main/project/project.js';
import { tempDir } from '../engine/fixtures.js';
import { generateArgs, importModel, runJson } from '../helpers/cli.js';
import { HF_DIR } from '../lm/hf-fixtures.js';
import { expectedVision, VISION_DIR } from './fixtures.js';

interface ChatCase {
  template: 'vicuna' | 'mistral';
  prompt: string;
  parts: unknown[];
  /** the image LlavaNextProcessor was given with it (its <image> then comes out expanded in ids) */
  image: string | null;
  rendered: string;
  ids: number[];
}
const chat = JSON.parse(readFileSync(join(HF_DIR, 'llava-chat-templates.json'), 'utf8')) as {
  templates: Record<ChatCase['template'], string>;
  cases: ChatCase[];
};

/** The vision fixture with the processor's template in chat_template.json (its tokenizer's stays). */
function withProcessorTemplate(name: ChatCase['template']): string {
  const dir = join(tempDir(), `llava-${name}`);
  cpSync(VISION_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: chat.templates[name] }));
  return dir;
}

let project: Project;
beforeAll(() => {
  project = openProject(join(tempDir(), 'chat.sightline'), { create: true });
});
afterAll(() => project.close());

describe('LLaVA chat templates with typed content', () => {
  it.each(chat.cases.map((c) => [`${c.template}: ${JSON.stringify(c.prompt)}`, c] as const))(
    "%s: transformers' rendering and LlavaNextProcessor's ids (BOS added, <image> expanded)",
    (_, c) => {
      expect(contentParts(c.prompt)).toEqual(c.parts);
      const tokenizer = loadLmTokenizer(withProcessorTemplate(c.template));
      const messages = [{ role: 'user', content: c.prompt }];
      expect(tokenizer.renderChat(messages, { addGenerationPrompt: true })).toBe(c.rendered);
      const ids = tokenizer.encodeChat(messages, { addGenerationPrompt: true });
      const positions = c.image ? [expectedVision().images.square.image_positions] : [];
      expect(c.image ?? 'square.png').toBe('square.png');
      expect(expandImageTokens(ids, expectedVision().image_token_id, positions)).toEqual(c.ids);
    },
  );

  it('tells typed-content templates from string ones', () => {
    expect(readsContentParts(chat.templates.vicuna)).toBe(true);
    expect(readsContentParts(chat.templates.mistral)).toBe(true);
    const fixture = JSON.parse(readFileSync(join(VISION_DIR, 'tokenizer_config.json'), 'utf8')).chat_template;
    expect(readsContentParts(fixture)).toBe(false);
    // a template written for both forms is given the string
    expect(
      readsContentParts(
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}{{ c['type'] }}{% endif %}",
      ),
    ).toBe(false);
  });

  it('generate --chat --image on a folder with chat_template.json: the template places the image', async () => {
    const dir = withProcessorTemplate('vicuna');
    await importModel(project.dir, dir, 'vicuna');
    const want = expectedVision().images.square;
    const result = await runJson([
      ...generateArgs(project.dir, 'vicuna', 'What is in this picture?', 5),
      '--greedy',
      '--chat',
      '--image',
      join(dir, want.file),
    ]);
    expect(result.code).toBe(0);
    const c = chat.cases.find((x) => x.template === 'vicuna' && x.image === want.file)!;
    expect(result.value.promptIds).toEqual(c.ids);
    expect(result.value.spec.model.name).toBe('vicuna');
  });
});
