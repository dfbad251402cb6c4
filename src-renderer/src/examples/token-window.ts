// Which tokens a text example shows collapsed: a window around the max-activating token, so a long
// document's example stays a line or two until the researcher expands it.
import type { TokenActivation } from '../../../src-main/contract';

export const DEFAULT_WINDOW = 12;

export interface TokenWindow {
  /** first shown token (inclusive) */
  start: number;
  /** one past the last shown token */
  end: number;
  /** index of the max-activating token (the first one on ties), -1 when nothing fires */
  maxIndex: number;
  hiddenBefore: number;
  hiddenAfter: number;
  /** false when the window already shows every token (no expand toggle needed) */
  truncated: boolean;
}

export function maxTokenIndex(tokens: readonly TokenActivation[]): number {
  let best = -1;
  for (let i = 0; i < tokens.length; i++)
    if (tokens[i].value > 0 && (best < 0 || tokens[i].value > tokens[best].value)) best = i;
  return best;
}

/**
 * About `size` tokens centred on the max (a third before it, the rest after, so the context that
 * leads up to the firing token is visible). Documents at most `size` + 4 tokens long show whole:
 * hiding two or three tokens behind a toggle helps nobody.
 */
export function tokenWindow(tokens: readonly TokenActivation[], size = DEFAULT_WINDOW): TokenWindow {
  const n = tokens.length;
  const maxIndex = maxTokenIndex(tokens);
  if (n <= size + 4) return { start: 0, end: n, maxIndex, hiddenBefore: 0, hiddenAfter: 0, truncated: false };
  const centre = Math.max(0, maxIndex);
  let start = Math.max(0, centre - Math.floor(size / 3));
  const end = Math.min(n, start + size);
  start = Math.max(0, end - size);
  return { start, end, maxIndex, hiddenBefore: start, hiddenAfter: n - end, truncated: true };
}
