import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readImageDocuments } from '../../src-main/steer/image-documents';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-images-'));
const touch = (file: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'x');
};

describe('--images DIR|CSV|IMAGE', () => {
  it('a folder gives its image files in code-unit order, labelled by their first folder', () => {
    const dir = tmp();
    for (const f of ['dog/b.PNG', 'cat/a.jpg', 'cat/sub/c.webp', 'top.jpeg', 'cat/notes.txt', '.hidden/x.png'])
      touch(path.join(dir, f));
    const docs = readImageDocuments(dir);
    expect(docs.map((d) => [d.id, d.label ?? null])).toEqual([
      ['cat/a.jpg', 'cat'],
      ['cat/sub/c.webp', 'cat'],
      ['dog/b.PNG', 'dog'],
      ['top.jpeg', null],
    ]);
    expect(docs[0].file).toBe(path.join(dir, 'cat', 'a.jpg'));
  });

  it('a folder built of links (a class folder linked in, images linked from a shared store) keeps every image', () => {
    // Datasets on clusters are often assembled this way; the links used to be dropped without a word.
    const store = tmp();
    touch(path.join(store, 'birds', 'x.png'));
    touch(path.join(store, 'y.jpg'));
    const dir = tmp();
    touch(path.join(dir, 'cat', 'a.jpg'));
    fs.mkdirSync(path.join(dir, 'dog'));
    fs.symlinkSync(path.join(store, 'y.jpg'), path.join(dir, 'dog', 'y.jpg'));
    fs.symlinkSync(path.join(store, 'birds'), path.join(dir, 'bird'));
    // A link back up the tree is not followed round and round, and a dangling link is not an image.
    fs.symlinkSync(dir, path.join(dir, 'cat', 'loop'));
    fs.symlinkSync(path.join(store, 'gone.png'), path.join(dir, 'cat', 'gone.png'));
    const docs = readImageDocuments(dir);
    expect(docs.map((d) => [d.id, d.label ?? null])).toEqual([
      ['bird/x.png', 'bird'],
      ['cat/a.jpg', 'cat'],
      ['dog/y.jpg', 'dog'],
    ]);
    expect(docs[2].file).toBe(path.join(dir, 'dog', 'y.jpg'));
  });

  it('a single image file is one document named by its file name, with no label', () => {
    // The Steer page's sweep over its chosen image, and `sweep --images cat.png` for one picture.
    const dir = tmp();
    for (const name of ['cat.png', 'dog.JPG', 'bird.webp', 'fish.jpeg']) {
      touch(path.join(dir, 'class', name));
      expect(readImageDocuments(path.join(dir, 'class', name))).toEqual([
        { id: name, file: path.join(dir, 'class', name) },
      ]);
    }
  });

  it('a CSV resolves image paths beside it and reads document, label or class, caption', () => {
    const dir = tmp();
    touch(path.join(dir, 'imgs', 'one.png'));
    touch(path.join(dir, 'two.png'));
    const csv = path.join(dir, 'list.csv');
    fs.writeFileSync(csv, 'image,document,class,caption\nimgs/one.png,first,cat,a cat\ntwo.png,,dog,\n');
    expect(readImageDocuments(csv)).toEqual([
      {
        id: 'first',
        file: path.join(dir, 'imgs', 'one.png'),
        label: 'cat',
        caption: 'a cat',
        namedIn: { file: 'list.csv', field: 'row 1: image' },
      },
      {
        id: 'two.png',
        file: path.join(dir, 'two.png'),
        label: 'dog',
        namedIn: { file: 'list.csv', field: 'row 2: image' },
      },
    ]);
  });

  it('bad input names the file, the row and the field', () => {
    const dir = tmp();
    touch(path.join(dir, 'a.png'));
    const write = (body: string) => {
      const csv = path.join(dir, 'list.csv');
      fs.writeFileSync(csv, body);
      return csv;
    };
    expect(() => readImageDocuments(write('image\na.png\nmissing.png\n'))).toThrow(
      /^list\.csv: row 2: image: expected an existing image file, found no file at .*missing\.png$/,
    );
    expect(() => readImageDocuments(write('path\na.png\n'))).toThrow(
      'list.csv: row 1: image: expected the path of an image file, found no image column (columns: path)',
    );
    expect(() => readImageDocuments(write('image,document\na.png,x\na.png,x\n'))).toThrow(
      'list.csv: row 2: document: expected a document id used once, found "x" again',
    );
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    expect(() => readImageDocuments(empty)).toThrow(/^empty: \(images\): expected at least one \.png/);
    touch(path.join(dir, 'notes.txt'));
    expect(() => readImageDocuments(path.join(dir, 'notes.txt'))).toThrow(
      /notes\.txt: expected a folder of images, an image file \(\.png, \.jpg, \.jpeg, \.webp\) or a CSV with an image column, got a \.txt$/,
    );
    expect(() => readImageDocuments(path.join(dir, 'nope'))).toThrow(/no such folder, image or CSV file/);
  });
});
