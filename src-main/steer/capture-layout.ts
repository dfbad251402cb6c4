// What each captured row of a document is, in the sidecar's words (README "Activations: the sidecar
// format"): special rows (BOS, EOS: excluded from mining), text rows (one per token of the document's
// `tokens`), and, once the vision tower lands, image rows (one tile each, the anyres map with its
// newline rows). The rows follow the model's positions exactly, so a document's segments in order add
// up to its prompt length.
import type { LmTokenizer } from '../engine/lm/tokenizer';

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
