// Whether the rater's workspace shows a text example collapsed. The renderer collapses a text
// example longer than 16 tokens to a window of 12 around its max-activating token, with a button to
// expand it (src-renderer/src/examples/token-window.ts). The server records this with each
// assignment, because issue 4 asks that "what the rater saw (... truncation)" be stored with each
// judgement; the renderer is DOM-only and cannot be imported here, so the rule is repeated, and
// tests/campaigns/truncation.test.ts checks that the two agree.

export const COLLAPSED_WINDOW_TOKENS = 12;
/** Texts up to this many tokens show whole: hiding two or three tokens behind a toggle helps nobody. */
const SHOWN_WHOLE_UP_TO = COLLAPSED_WINDOW_TOKENS + 4;
// Payloads nest examples at most this deep (payload.feature.examples[i].tokens).
const MAX_DEPTH = 5;

/** True when any text example in the item's payload is shown collapsed to a token window. */
export function showsCollapsedText(payload: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || !payload || typeof payload !== 'object') return false;
  if (Array.isArray(payload)) return payload.some((entry) => showsCollapsedText(entry, depth + 1));
  const record = payload as Record<string, unknown>;
  if (Array.isArray(record.tokens) && record.tokens.length > SHOWN_WHOLE_UP_TO) return true;
  return Object.values(record).some((value) => showsCollapsedText(value, depth + 1));
}
