// A small file written whole or not at all: written beside its target under a temporary name and
// renamed into place, so a crash or a cancel never leaves half a file where a reader would take it.
import fs from 'node:fs';

export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  const temporary = `${file}.${process.pid}.partial`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
