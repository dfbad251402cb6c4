// The images of `sightline capture --images` and `sightline sweep --images` (issue 14): a folder, a
// CSV or one image file (one document named by its file name, with no label). A folder's image files
// (.png, .jpg, .jpeg, .webp, any depth) become documents named by their path inside it ("cat/001.png"),
// labelled with their first folder ("cat"): the study's layout of one folder per class. A CSV has a header with `image` (a path, relative to the CSV's folder or absolute)
// and optionally `document` (default: the image path as written), `label` (or `class`) and `caption`;
// for `sweep --images`, also `target_class` and `distractors` (';'-separated), as in a prompts CSV.
// Nothing is decoded here: a file that is not an image is named when its turn comes.
import fs from 'node:fs';
import path from 'node:path';
import { readRowsFile, type Row } from '../domain/campaigns/read-rows';
import { classList } from './prompts-file';
import { AppError, badFile } from '../util/errors';
import { checkDocumentList } from './capture-documents';

export interface ImageDocument {
  /** the document's id in corpora and sweeps */
  id: string;
  /** absolute path of the image file */
  file: string;
  label?: string;
  /** text after the image (capture: image + caption) */
  caption?: string;
  /** sweep: the class this image is steered towards (CSV `target_class`) */
  targetClass?: string;
  /** sweep: the concept-choice campaign's distractors (CSV `distractors`) */
  distractors?: string[];
  /** the CSV and its field that named the image, for errors about it (a folder's image names itself) */
  namedIn?: { file: string; field: string };
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];
const isImageName = (name: string) => IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());

/**
 * Image files under `dir` (hidden entries skipped), as sorted POSIX paths relative to it. Links count as
 * what they point to (datasets are often a folder of links into a shared store); a folder already on
 * the walk's path (a link back up the tree) is not entered again, and a dangling link is no file.
 */
function imageFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const kindOf = (entry: fs.Dirent, full: string): 'dir' | 'file' | null => {
    if (entry.isDirectory()) return 'dir';
    if (entry.isFile()) return 'file';
    if (!entry.isSymbolicLink()) return null;
    const target = fs.statSync(full, { throwIfNoEntry: false });
    return target?.isDirectory() ? 'dir' : target?.isFile() ? 'file' : null;
  };
  const walk = (relative: string, ancestors: ReadonlySet<string>) => {
    const folder = path.join(dir, relative);
    const real = fs.realpathSync(folder);
    if (ancestors.has(real)) return;
    const inside = new Set(ancestors).add(real);
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const kind = kindOf(entry, path.join(folder, entry.name));
      if (kind === 'dir') walk(child, inside);
      else if (kind === 'file' && isImageName(entry.name)) out.push(child);
    }
  };
  walk('', new Set());
  // Code-unit order, not the locale's: the same documents in the same order on every machine.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function fromFolder(dir: string): ImageDocument[] {
  return imageFilesUnder(dir).map((relative) => {
    const slash = relative.indexOf('/');
    return {
      id: relative,
      file: path.resolve(dir, ...relative.split('/')),
      ...(slash > 0 ? { label: relative.slice(0, slash) } : {}),
    };
  });
}

function text(row: Row, column: string, file: string, where: string): string | undefined {
  const value = row[column];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw badFile(file, `${where}: ${column}`, 'text', typeof value);
  return value;
}

function fromCsv(csvPath: string): ImageDocument[] {
  const file = path.basename(csvPath);
  const base = path.dirname(path.resolve(csvPath));
  return readRowsFile(csvPath, 'csv').map((row, index) => {
    const where = `row ${index + 1}`;
    const image = text(row, 'image', file, where);
    if (image === undefined)
      throw badFile(
        file,
        `${where}: image`,
        'the path of an image file',
        'image' in row ? 'an empty cell' : `no image column (columns: ${Object.keys(row).join(', ')})`,
      );
    const resolved = path.resolve(base, image);
    if (!fs.existsSync(resolved) || !fs.statSync(resolved).isFile())
      throw badFile(file, `${where}: image`, 'an existing image file', `no file at ${resolved}`);
    const label = text(row, 'label', file, where) ?? text(row, 'class', file, where);
    const caption = text(row, 'caption', file, where);
    const targetClass = text(row, 'target_class', file, where);
    const distractors = text(row, 'distractors', file, where);
    return {
      id: text(row, 'document', file, where) ?? image,
      file: resolved,
      namedIn: { file, field: `${where}: image` },
      ...(label !== undefined ? { label } : {}),
      ...(caption !== undefined ? { caption } : {}),
      ...(targetClass !== undefined ? { targetClass } : {}),
      ...(distractors !== undefined ? { distractors: classList(distractors) } : {}),
    };
  });
}

/** The documents of `--images DIR|CSV|IMAGE`, in a stable order, ids unique. */
export function readImageDocuments(source: string): ImageDocument[] {
  if (!fs.existsSync(source)) throw new AppError('not_found', `--images ${source}: no such folder, image or CSV file`);
  const isDir = fs.statSync(source).isDirectory();
  // One image file is one document (the Steer page's sweep over its chosen image); it has no class
  // folder, so no label. Its file is read, and refused if it is no image, when its turn comes.
  if (!isDir && isImageName(source)) return [{ id: path.basename(source), file: path.resolve(source) }];
  if (!isDir && path.extname(source).toLowerCase() !== '.csv')
    throw new AppError(
      'invalid_input',
      `--images ${source}: expected a folder of images, an image file (${IMAGE_EXTENSIONS.join(', ')}) or a CSV with an image column, got a ${path.extname(source) || 'file without extension'}`,
    );
  const documents = isDir ? fromFolder(source) : fromCsv(source);
  const name = path.basename(source);
  if (documents.length === 0)
    throw badFile(name, '(images)', isDir ? `at least one ${IMAGE_EXTENSIONS.join(', ')} file` : 'at least one row');
  return checkDocumentList(documents, name, 'images');
}
