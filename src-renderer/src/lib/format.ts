// Text formatting helpers. Everything returns plain strings: the components render them as text
// (never {@html}), because tokens and labels come from models and imported corpora.

export interface TokenSegment {
  text: string;
  /** A visible stand-in for an invisible character (newline, tab), drawn dim. */
  whitespace: boolean;
  /** A newline: the renderer breaks the line after the '↵'. */
  lineBreak: boolean;
}

// Spaces stay spaces: tokens are told apart by spacing and their highlight borders, not by '·'
// separators that make text hard to read (issue 15). A newline or a tab would be invisible or
// break the layout, so each gets a dim glyph ('↵' then a real line break, '→').
const WHITESPACE_GLYPHS: Record<string, string> = { '\n': '↵', '\t': '→', '\r': '' };

/** Splits a token into runs of text and dim glyphs for newlines ('↵') and tabs ('→'); carriage returns are dropped. */
export function tokenSegments(token: string): TokenSegment[] {
  const segments: TokenSegment[] = [];
  let text = '';
  const flush = () => {
    if (text) segments.push({ text, whitespace: false, lineBreak: false });
    text = '';
  };
  for (const char of token) {
    const glyph = WHITESPACE_GLYPHS[char];
    if (glyph === undefined) {
      text += char;
      continue;
    }
    flush();
    if (char !== '\r') segments.push({ text: glyph, whitespace: true, lineBreak: char === '\n' });
  }
  flush();
  return segments;
}

/** The token as drawn in a text (spaces as spaces, '↵' for a newline, '→' for a tab). */
export const visibleToken = (token: string): string =>
  tokenSegments(token)
    .map((s) => s.text)
    .join('');

/** The token exactly, quoted with escapes (" red", "\n"), for a tip where a leading space must be seen. */
export const quotedToken = (token: string): string => JSON.stringify(token);

/** 0..1 intensity of an activation against a scale, for highlight alpha. */
export function intensity(value: number, scale: number): number {
  if (!(scale > 0) || !(value > 0)) return 0;
  return Math.min(1, value / scale);
}

export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000 || abs < 0.001) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share > 0 && share < 0.0001) return '<0.01%';
  return `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
}

/** "3 / 20", the progress text used by raters and campaigns alike. */
export const progressText = (done: number, total: number): string => `${done} / ${total}`;
