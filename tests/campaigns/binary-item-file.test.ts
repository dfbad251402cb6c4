// Issue 15: a binary file chosen as an item file (a workbook, an image) is named as such, and none
// of its bytes are printed back. The builder sends the file as the browser read it (FileReader
// readAsText: bytes that are not UTF-8 become U+FFFD), the CLI as raw bytes; both are covered.
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch';
import { parseRows } from '../../src-main/domain/campaigns/read-rows';
import { binaryFileKind } from '../../src-main/util/binary-file';
import { contextFor, makeProject, researcher } from '../helpers/factories';

/** The text a browser's FileReader.readAsText makes of these bytes, as the server receives it. */
const asBrowserText = (bytes: Uint8Array): Uint8Array =>
  new TextEncoder().encode(new TextDecoder('utf-8').decode(bytes));

function pngBytes(): Uint8Array {
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(200);
  return PNG.sync.write(png);
}

const zipBytes = (): Uint8Array =>
  Uint8Array.from([
    0x50,
    0x4b,
    0x03,
    0x04,
    0x14,
    0x00,
    0x06,
    0x00,
    ...new TextEncoder().encode('[Content_Types].xml'),
    0xff,
    0xfe,
  ]);

describe('binaryFileKind', () => {
  it('names the kinds researchers pick by mistake, raw and as a browser read them', () => {
    const cases: [Uint8Array, string][] = [
      [zipBytes(), 'a ZIP archive (an Excel .xlsx workbook is one)'],
      [pngBytes(), 'a PNG image'],
      [Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]), 'a JPEG image'],
      [new TextEncoder().encode('%PDF-1.7\n%\u00e2\u00e3'), 'a PDF document'],
      [new TextEncoder().encode('SQLite format 3\0'), 'an SQLite database'],
      [
        Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
        'an old Office document (an Excel .xls workbook?)',
      ],
    ];
    for (const [bytes, kind] of cases) {
      expect(binaryFileKind(bytes), kind).toBe(kind);
      // The JPEG and .xls signatures are all high bytes, which a browser turns into U+FFFD: those
      // are caught as binary by their NULs and replacement characters instead.
      expect(binaryFileKind(asBrowserText(bytes)), `${kind} via a browser`).not.toBeNull();
    }
    expect(binaryFileKind(asBrowserText(pngBytes()))).toBe('a PNG image');
  });

  it('calls other files with NULs, control bytes or unreadable bytes "a binary file"', () => {
    expect(binaryFileKind(Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0x31, 0x00, 0x32]))).toBe('a binary file');
    const noisy = Uint8Array.from({ length: 400 }, (_, at) => (at % 10 === 0 ? 0x01 : 0x61));
    expect(binaryFileKind(noisy)).toBe('a binary file');
    const unreadable = asBrowserText(Uint8Array.from({ length: 64 }, (_, at) => (at % 2 ? 0x80 : 0x41)));
    expect(binaryFileKind(unreadable)).toBe('a binary file');
  });

  it('lets text through: CSV, JSONL, UTF-8, a stray colour code or replacement character in model output', () => {
    const texts = [
      'question,answer\nWhat?,"A fish, swimming."\n',
      '{"answer": "Ein Fisch – schwimmt 🐟"}\n',
      `answer\n"\u001b[31mred\u001b[0m text"\n${'more text '.repeat(20)}\n`,
      'answer\nbroken \ufffd byte\n',
      '',
    ];
    for (const text of texts) expect(binaryFileKind(new TextEncoder().encode(text)), text).toBeNull();
  });
});

describe('an item file that is binary', () => {
  it('is refused by parseRows with bad_file naming the file and what it is (the CLI path)', () => {
    expect(() => parseRows(zipBytes(), 'items.xlsx')).toThrow(
      'items.xlsx: (file): expected CSV or JSONL text, found a ZIP archive (an Excel .xlsx workbook is one); save it as CSV (UTF-8) or JSONL and choose that file',
    );
  });

  it('is refused by campaigns.previewImport and campaigns.create without printing its bytes (the builder path)', async () => {
    const project = makeProject();
    const text = new TextDecoder('utf-8').decode(pngBytes());
    for (const [method, input] of [
      ['campaigns.previewImport', { fileName: 'photo.csv', text }],
      [
        'campaigns.create',
        { name: 'x', template: 'concept-choice', source: { kind: 'file', fileName: 'photo.csv', text } },
      ],
    ] as const) {
      const result = (await dispatch(method, input, contextFor(project, researcher))) as {
        ok: false;
        error: { code: string; message: string };
      };
      expect(result.ok, method).toBe(false);
      expect(result.error.code).toBe('bad_file');
      expect(result.error.message).toMatch(/^photo\.csv: \(file\): expected CSV or JSONL text, found a PNG image;/);
      expect(result.error.message).not.toMatch(/IHDR|IDAT|\ufffd/);
    }
    expect(project.db.prepare('SELECT COUNT(*) FROM campaigns').pluck().get()).toBe(0);
  });
});
