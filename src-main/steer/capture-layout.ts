// What each captured row of a document is, in the sidecar's words (README "Activations: the sidecar
// format"): special rows (BOS, EOS: excluded from mining), text rows (one per token of the document's
// `tokens`), and image rows (LLaVA-NeXT: the base tile, then the unpadded anyres map with its newline
// rows). The rows follow the model's positions exactly, so a document's segments in order add up to
// its prompt length.
import type { LmTokenizer } from '../engine/lm/tokenizer';
import { expandImageTokens, type PackedLayout } from '../engine/vision/pack';
import { AppError } from '../util/errors';

export type CaptureSegment =
  | { kind: 'special'; count: number; label: string }
  | { kind: 'text'; start: number; count: number }
  | { kind: 'image'; tile: number; newline: boolean };

export interface DocumentLayout {
  /** the model's input ids, special tokens included */
  ids: number[];
  /** the document's text tokens as strings; joined they are the caption */
  tokens: string[];
  segments: CaptureSegment[];
}

/** Start of `needle` inside `haystack`, or -1. */
function indexOfRun(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Token strings such that their concatenation is the decoded text: each is the growth of the decoded
 * prefix. Decoding one id alone would drop SentencePiece's leading space ("▁the" → "the").
 */
export function tokenStrings(tokenizer: LmTokenizer, ids: readonly number[]): string[] {
  const out: string[] = [];
  let previous = '';
  for (let i = 1; i <= ids.length; i++) {
    const text = tokenizer.decode(ids.slice(0, i), { skipSpecialTokens: false });
    out.push(text.startsWith(previous) ? text.slice(previous.length) : text);
    previous = text;
  }
  return out;
}

/**
 * A caption as the model sees it (tokenised as is, the tokenizer's own special tokens added): the
 * tokens the tokenizer adds around the text (BOS; EOS for some) are special rows, the rest text rows.
 */
export function captionLayout(tokenizer: LmTokenizer, caption: string): DocumentLayout {
  const ids = tokenizer.encode(caption);
  const plain = tokenizer.encode(caption, { addSpecialTokens: false });
  const found = plain.length > 0 ? indexOfRun(ids, plain) : -1;
  // A tokenizer whose post-processor changes the text's own ids: every row is text then.
  const at = Math.max(found, 0);
  const textIds = found < 0 ? ids : plain;
  const segments: CaptureSegment[] = [];
  const special = (run: number[]) => {
    if (run.length > 0)
      segments.push({ kind: 'special', count: run.length, label: tokenizer.decode(run, { skipSpecialTokens: false }) });
  };
  special(ids.slice(0, at));
  segments.push({ kind: 'text', start: 0, count: textIds.length });
  special(ids.slice(at + textIds.length));
  return { ids, tokens: tokenStrings(tokenizer, textIds), segments };
}

/**
 * A token the tokenizer marks special (BOS, EOS, added chat tokens): gone when decoded skipping them.
 * The unknown token is special to the tokenizer too, but it stands for a piece of the text it could
 * not spell, so its rows are text.
 */
function isSpecialToken(tokenizer: LmTokenizer, id: number): boolean {
  if (tokenizer.decode([id]) !== '') return false;
  const text = tokenizer.decode([id], { skipSpecialTokens: false });
  return text !== '' && text !== tokenizer.unknownToken;
}

/** An image document's layout: the ids with <image> expanded, and the sidecar's tiles for its image. */
export interface ImageDocumentLayout extends DocumentLayout {
  /** tile 0: the base grid (side x side); tile 1: the unpadded anyres map (its rows end in a newline row), when it has patches */
  tiles: { rows: number; cols: number }[];
}

/**
 * A LLaVA-NeXT prompt (one <image> token, not yet expanded) as captured rows: the image token becomes
 * the base tile's rows (tile 0) and the anyres map's rows, each followed by its image_newline row
 * (tile 1, `newline`), exactly as pack_image_features orders them; tokens the tokenizer marks special
 * are special rows; every other token (the prompt's words, chat-template words a vocabulary spells as
 * text, a caption) is a text row of the document.
 */
export function imagePromptLayout(
  tokenizer: LmTokenizer,
  ids: readonly number[],
  imageTokenId: number,
  packed: PackedLayout,
): ImageDocumentLayout {
  const images = ids.filter((id) => id === imageTokenId).length;
  if (images !== 1)
    throw new AppError(
      'invalid_input',
      `expected exactly one <image> token (the document's image) in the prompt and caption, found ${images}`,
    );
  const strings = tokenStrings(tokenizer, ids);
  const tokens: string[] = [];
  const segments: CaptureSegment[] = [];
  let special: number[] = [];
  const flushSpecial = () => {
    if (special.length > 0)
      segments.push({
        kind: 'special',
        count: special.length,
        label: tokenizer.decode(special, { skipSpecialTokens: false }),
      });
    special = [];
  };
  // An image far wider or taller than its grid keeps no row of the map after unpadding, or rows of no
  // patch (each still followed by its newline position, as transformers packs it); a tile has at least
  // one row and column, so the map is then no tile: nothing, or its newline rows as special rows.
  const hasMap = packed.rows > 0 && packed.cols > 0;
  ids.forEach((id, i) => {
    if (id === imageTokenId) {
      flushSpecial();
      segments.push({ kind: 'image', tile: 0, newline: false });
      if (hasMap) segments.push({ kind: 'image', tile: 1, newline: true });
      else if (packed.rows > 0) segments.push({ kind: 'special', count: packed.rows, label: 'image_newline' });
    } else if (isSpecialToken(tokenizer, id)) {
      special.push(id);
    } else {
      flushSpecial();
      const last = segments.at(-1);
      if (last?.kind === 'text') last.count++;
      else segments.push({ kind: 'text', start: tokens.length, count: 1 });
      tokens.push(strings[i]);
    }
  });
  flushSpecial();
  const side = Math.round(Math.sqrt(packed.base));
  return {
    ids: expandImageTokens(ids, imageTokenId, [packed.count]),
    tokens,
    segments,
    tiles: [{ rows: side, cols: side }, ...(hasMap ? [{ rows: packed.rows, cols: packed.cols }] : [])],
  };
}
