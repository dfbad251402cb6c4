// Issue 12 "one store": every SQL statement is a typed function in src-main/store, so a schema
// change is a change to one folder. This reads the source tree the way the check does
// (grep -rn "prepare(" src-main | grep -v "^src-main/store/") and names any statement outside it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../src-main');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|cts|js)$/.test(entry.name) ? [full] : [];
  });
}

describe('one store', () => {
  it('no prepare( outside src-main/store', () => {
    const outside = sourceFiles(root)
      .filter((file) => !file.startsWith(path.join(root, 'store') + path.sep))
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) =>
            line.includes('prepare(') ? [`${path.relative(root, file)}:${index + 1}: ${line.trim()}`] : [],
          ),
      );
    expect(outside).toEqual([]);
  });

  it('no SQLite connection opened outside src-main/store', () => {
    // A value import of better-sqlite3 (not `import type`) is a connection being opened.
    // results/worker.ts opens its own read connection in a worker thread; it is the one known exception left.
    const opening = sourceFiles(root)
      .filter((file) => !file.startsWith(path.join(root, 'store') + path.sep))
      .filter((file) => /^import (?!type )[^;]*from 'better-sqlite3'/m.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(root, file));
    expect(opening.filter((file) => file !== path.join('results', 'worker.ts'))).toEqual([]);
  });
});
