// A model folder's tokenizer (issue 13): tokenizer.json through @huggingface/tokenizers and the chat
// template through @huggingface/jinja, so prompts become the ids transformers gives them. Without the
// chat template a prompt is tokenised as is (the tokenizer's own special tokens, e.g. BOS, included);
// with it, the template is rendered and the text tokenised without adding special tokens again, since
// the template writes them itself (transformers' apply_chat_template does the same).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { badFile } from '../../util/errors.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface LmTokenizer {
  /** the prompt's ids, special tokens added as tokenizer.json's post-processor says (BOS for Llama) */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** true when the folder has a chat template */
  readonly hasChatTemplate: boolean;
  /** the unknown token's text (tokenizer_config.json unk_token): special to the tokenizer, yet a piece of the text */
  readonly unknownToken: string | undefined;
  /** the chat template rendered to text (the prompt the model sees) */
  renderChat(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
  /** the rendered chat template's ids */
  encodeChat(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): number[];
  /** text of generated ids; special tokens (BOS, EOS, UNK) are dropped unless asked for */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

const TOKENIZER = 'tokenizer.json';
const CONFIG = 'tokenizer_config.json';
/** transformers >= 4.43 may save the template beside the config instead of inside it */
const TEMPLATE_FILE = 'chat_template.jinja';
/** a processor's template as transformers 4.4x saved it (the llava-hf checkpoints): {"chat_template": "..."} */
const PROCESSOR_TEMPLATE_FILE = 'chat_template.json';
/** the placeholder a LLaVA prompt marks its image with */
const IMAGE_PLACEHOLDER = '<image>';

export function loadLmTokenizer(folder: string): LmTokenizer {
  const root = resolve(folder);
  const tokenizerJson = readJsonObject(root, TOKENIZER, true)!;
  const config = readJsonObject(root, CONFIG, false) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, config);
  } catch (error) {
    throw badFile(
      TOKENIZER,
      '(file)',
      'a tokenizer @huggingface/tokenizers can read',
      (error as Error).message.split('\n')[0],
    );
  }
  const templateSource = chatTemplateSource(root, config);
  let template: Template | undefined;
  if (templateSource) {
    try {
      template = new Template(templateSource.text);
    } catch (error) {
      throw badFile(
        templateSource.file,
        templateSource.field,
        'a Jinja chat template',
        (error as Error).message.split('\n')[0],
      );
    }
  }
  const structured = templateSource !== undefined && readsContentParts(templateSource.text);
  // The special tokens a template may write ({{ bos_token }}): strings or AddedToken objects in the config.
  const specials: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const value = tokenText(config[key]);
    if (value !== undefined) specials[key] = value;
  }

  const renderChat = (messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string => {
    if (!template || !templateSource)
      throw badFile(CONFIG, 'chat_template', 'a chat template (the prompt asked for one)', 'absent');
    try {
      return template.render({
        ...specials,
        messages: messages.map((m) => (structured ? { role: m.role, content: contentParts(m.content) } : { ...m })),
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (error) {
      throw badFile(
        templateSource.file,
        templateSource.field,
        'a chat template that renders these messages',
        (error as Error).message.split('\n')[0],
      );
    }
  };

  return {
    encode: (text, options = {}) =>
      tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids,
    hasChatTemplate: template !== undefined,
    unknownToken: specials.unk_token,
    renderChat,
    encodeChat: (messages, options = {}) => {
      const text = renderChat(messages, options);
      // A processor's template (typed content) is tokenised as LlavaNextProcessor does it: special
      // tokens (BOS) added unless the text already starts with BOS, since those templates write none.
      const addSpecial = structured && !(specials.bos_token && text.startsWith(specials.bos_token));
      return tokenizer.encode(text, { add_special_tokens: addSpecial }).ids;
    },
    decode: (ids, options = {}) =>
      tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true }),
  };
}

function readJsonObject(root: string, name: string, required: boolean): Record<string, unknown> | undefined {
  const path = join(root, name);
  if (!existsSync(path)) {
    if (!required) return undefined;
    throw badFile(name, '(file)', `a ${name} in ${root}`, 'no such file');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw badFile(name, '(file)', 'JSON', (error as Error).message);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw badFile(name, '(file)', 'a JSON object', Array.isArray(json) ? 'an array' : String(json));
  return json as Record<string, unknown>;
}

/** The chat template's text and where it came from (for errors), or undefined when the folder has none. */
function chatTemplateSource(
  root: string,
  config: Record<string, unknown>,
): { text: string; file: string; field: string } | undefined {
  const separate = join(root, TEMPLATE_FILE);
  if (existsSync(separate)) return { text: readFileSync(separate, 'utf8'), file: TEMPLATE_FILE, field: '(file)' };
  // The processor's template is the one transformers applies to image prompts, so it comes before the
  // tokenizer's (llava-v1.6-mistral-7b-hf's tokenizer_config.json may hold Mistral's text-only one).
  const processor = readJsonObject(root, PROCESSOR_TEMPLATE_FILE, false);
  if (processor) {
    if (typeof processor.chat_template !== 'string')
      throw badFile(
        PROCESSOR_TEMPLATE_FILE,
        'chat_template',
        'a template string',
        JSON.stringify(processor.chat_template),
      );
    return { text: processor.chat_template, file: PROCESSOR_TEMPLATE_FILE, field: 'chat_template' };
  }
  const value = config.chat_template;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { text: value, file: CONFIG, field: 'chat_template' };
  // Older configs hold several named templates; transformers uses the one named "default".
  if (Array.isArray(value)) {
    const found = value.find((t) => t && typeof t === 'object' && (t as { name?: unknown }).name === 'default');
    const text = (found as { template?: unknown } | undefined)?.template;
    if (typeof text === 'string') return { text, file: CONFIG, field: 'chat_template' };
  }
  throw badFile(
    CONFIG,
    'chat_template',
    'a template string, or a list of {name, template} with one named "default"',
    JSON.stringify(value).slice(0, 80),
  );
}

/**
 * Whether a template reads each message's content as a list of typed parts ({type: 'image'},
 * {type: 'text', text}), as the llava-hf processors' templates do ("message['content'] |
 * selectattr('type', 'equalto', 'image')"), rather than as a string. transformers' processor always
 * passes parts; a template written for both forms tests `is string`, and is given the string.
 */
export function readsContentParts(template: string): boolean {
  const typed = /selectattr\(\s*['"]type['"]|\[\s*['"]type['"]\s*\]|\.type\s*==/.test(template);
  return typed && !/\bis\s+string\b/.test(template);
}

/**
 * A prompt as typed parts: each <image> an image part, the text between them text parts. The newline
 * right after an <image> goes with it (the templates write '<image>\n' themselves).
 */
export function contentParts(content: string): ({ type: 'image' } | { type: 'text'; text: string })[] {
  const parts: ({ type: 'image' } | { type: 'text'; text: string })[] = [];
  content.split(IMAGE_PLACEHOLDER).forEach((piece, i) => {
    if (i > 0) parts.push({ type: 'image' });
    const text = i > 0 && piece.startsWith('\n') ? piece.slice(1) : piece;
    if (text !== '') parts.push({ type: 'text', text });
  });
  return parts;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}
