// The tokenizer and chat template against transformers' ids (tests/fixtures/make_tokenizer_expected.py
// wrote expected-ids.json from the fixture tokenizer), and the named refusals of broken folders.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLmTokenizer, type ChatMessage } from '../../src-main/engine/lm/tokenizer.js';
import { AppError } from '../../src-main/util/errors.js';
import { copyFixture, editJson, expected, fixtureFolder, HF_DIR, HF_MODELS } from './hf-fixtures.js';

interface ExpectedIds {
  texts: { text: string; ids: number[]; ids_no_special: number[] }[];
  chats: { messages: ChatMessage[]; add_generation_prompt: boolean; rendered: string; ids: number[] }[];
  decode: { ids: number[]; text: string }[];
}
const want: ExpectedIds = JSON.parse(readFileSync(join(HF_DIR, 'tokenizer', 'expected-ids.json'), 'utf8'));

function refusal(fn: () => unknown): { file: string; field: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('bad_file');
    return (error as AppError).details as { file: string; field: string };
  }
  throw new Error('expected a bad_file error');
}

describe('loadLmTokenizer equals transformers', () => {
  const tokenizer = loadLmTokenizer(join(HF_DIR, 'tokenizer'));

  it.each(want.texts.map((t) => [JSON.stringify(t.text), t] as const))('plain prompt %s', (_, t) => {
    expect(tokenizer.encode(t.text)).toEqual(t.ids);
    expect(tokenizer.encode(t.text, { addSpecialTokens: false })).toEqual(t.ids_no_special);
  });

  it.each(want.chats.map((c, i) => [i, c] as const))('chat template case %i', (_, c) => {
    expect(tokenizer.hasChatTemplate).toBe(true);
    expect(tokenizer.renderChat(c.messages, { addGenerationPrompt: c.add_generation_prompt })).toBe(c.rendered);
    expect(tokenizer.encodeChat(c.messages, { addGenerationPrompt: c.add_generation_prompt })).toEqual(c.ids);
  });

  it.each(want.decode.map((d) => [JSON.stringify(d.text), d] as const))('decodes to %s', (_, d) => {
    expect(tokenizer.decode(d.ids)).toBe(d.text);
  });

  it.each(HF_MODELS)('gives the model fixture %s the prompt ids its expected.json holds', (name) => {
    const t = loadLmTokenizer(fixtureFolder(name));
    for (const prompt of expected(name).prompts) expect(t.encode(prompt.text)).toEqual(prompt.ids);
  });
});

describe('loadLmTokenizer refuses broken folders by name', () => {
  it('a missing tokenizer.json', () => {
    const dir = copyFixture('llama');
    unlinkSync(join(dir, 'tokenizer.json'));
    expect(refusal(() => loadLmTokenizer(dir))).toMatchObject({ file: 'tokenizer.json', field: '(file)' });
  });

  it('a tokenizer.json that is not JSON', () => {
    const dir = copyFixture('llama');
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    expect(refusal(() => loadLmTokenizer(dir))).toMatchObject({ file: 'tokenizer.json', field: '(file)' });
  });

  it('a chat template that does not parse', () => {
    const dir = copyFixture('llama');
    editJson(join(dir, 'tokenizer_config.json'), (json) => {
      json.chat_template = '{% for m in messages %}{{ m.content }';
    });
    expect(refusal(() => loadLmTokenizer(dir))).toMatchObject({
      file: 'tokenizer_config.json',
      field: 'chat_template',
    });
  });

  it('a chat prompt when the folder has no template', () => {
    const dir = copyFixture('llama');
    editJson(join(dir, 'tokenizer_config.json'), (json) => {
      delete json.chat_template;
    });
    const t = loadLmTokenizer(dir);
    expect(t.hasChatTemplate).toBe(false);
    expect(t.encode('The image shows a')).toEqual(expected('llama').prompts[0].ids);
    expect(refusal(() => t.encodeChat([{ role: 'user', content: 'hi' }]))).toMatchObject({
      file: 'tokenizer_config.json',
      field: 'chat_template',
    });
  });

  it('reads a template saved as chat_template.jinja, and the "default" of a named list', () => {
    const dir = copyFixture('llama');
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    const c = want.chats[0];
    editJson(join(dir, 'tokenizer_config.json'), (json) => {
      json.chat_template = [
        { name: 'tool_use', template: 'wrong' },
        { name: 'default', template: config.chat_template },
      ];
    });
    expect(loadLmTokenizer(dir).encodeChat(c.messages)).toEqual(c.ids);
    editJson(join(dir, 'tokenizer_config.json'), (json) => {
      delete json.chat_template;
    });
    writeFileSync(join(dir, 'chat_template.jinja'), config.chat_template);
    expect(loadLmTokenizer(dir).encodeChat(c.messages)).toEqual(c.ids);
  });
});
