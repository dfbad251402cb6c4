// Telling a binary file from text before parsing it (issue 15): a researcher who picks an Excel
// workbook or an image as an item file is told what they chose, in words, and none of its bytes are
// printed back (a parser's error would quote the garbage it choked on).

/** The U+FFFD a browser's FileReader.readAsText puts where a byte is not UTF-8, as UTF-8 bytes. */
const REPLACED = [0xef, 0xbf, 0xbd];

interface Signature {
  /** The first bytes; a null entry is a byte above 0x7f, read raw or as U+FFFD (the text a browser sent). */
  start: (number | null)[];
  what: string;
}

const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

const SIGNATURES: Signature[] = [
  { start: ascii('PK\x03\x04'), what: 'a ZIP archive (an Excel .xlsx workbook is one)' },
  { start: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Office document (an Excel .xls workbook?)' },
  { start: [null, ...ascii('PNG')], what: 'a PNG image' },
  { start: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { start: ascii('%PDF'), what: 'a PDF document' },
  { start: ascii('GIF8'), what: 'a GIF image' },
  { start: ascii('SQLite format 3'), what: 'an SQLite database' },
  { start: ascii('PAR1'), what: 'a Parquet file' },
];

/** Whether `bytes` starts with `start`, each null matching one high byte or one U+FFFD. */
function startsWith(bytes: Uint8Array, start: (number | null)[]): boolean {
  let at = 0;
  for (const expected of start) {
    if (expected !== null) {
      if (bytes[at] !== expected) return false;
      at++;
    } else if (REPLACED.every((byte, index) => bytes[at + index] === byte)) at += REPLACED.length;
    else if (bytes[at] !== undefined && bytes[at] > 0x7f) at++;
    else return false;
  }
  return true;
}

/** How much of a file is looked at: enough to see a binary header, cheap on a 64 MB upload. */
const SNIFF_BYTES = 8192;

/** Control characters text files carry: tab, newline, form feed, carriage return, escape (colour codes in logs). */
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x1b]);

/**
 * What kind of binary file `bytes` holds ("a PNG image", "a ZIP archive …", "a binary file"), or null
 * for text. In the first 8 KB: a NUL byte, more than one in fifty bytes other control characters, or
 * eight replacement characters (bytes a browser could not read as UTF-8) mean binary; a stray one of
 * either in model output does not.
 */
export function binaryFileKind(bytes: Uint8Array): string | null {
  const known = SIGNATURES.find((signature) => startsWith(bytes, signature.start));
  if (known) return known.what;
  const head = bytes.subarray(0, SNIFF_BYTES);
  let controls = 0;
  let replaced = 0;
  for (let at = 0; at < head.length; at++) {
    const byte = head[at];
    if (byte === 0) return 'a binary file';
    if (byte < 0x20 && !TEXT_CONTROLS.has(byte)) controls++;
    if (byte === REPLACED[0] && head[at + 1] === REPLACED[1] && head[at + 2] === REPLACED[2]) replaced++;
  }
  return controls * 50 > head.length || replaced >= 8 ? 'a binary file' : null;
}
