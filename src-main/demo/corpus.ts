// The demo corpus: one multimodal document per image (the image plus its caption's tokens) and
// short text-only sentences about colours, shapes and animals, so that shared features have text
// firings as well as image ones.
import type { Db } from '../store/db';
import type { Project } from '../project/project';
import { hashSeed, mulberry32, randomIndex, type Rng } from '../util/random';
import { COLOURS, SHAPES, type DemoImage } from './images';

export const CORPUS_NAME = 'demo-corpus';
export const TEXT_DOCUMENT_COUNT = 40;

export interface DemoDocument {
  /** The documents row id, once inserted. */
  id: number;
  externalId: string;
  kind: 'text' | 'multimodal';
  text: string;
  tokens: string[];
  image: (DemoImage & { sha256: string }) | null;
}

/**
 * GPT-2-style pre-tokenisation: words keep their leading space, punctuation runs are their own
 * tokens. Real BPE would split rare words further; whole words keep the demo's activations legible.
 */
export function tokenize(text: string): string[] {
  return text.match(/ ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d]+|\s+/g) ?? [];
}

/** The lower-case letters of a token: " Red," -> "red". What the toy text features match on. */
export const wordOf = (token: string): string => token.trim().toLowerCase().replace(/[^a-z]/g, '');

export const ANIMALS = ['cat', 'dog', 'fox', 'bird', 'fish', 'horse', 'frog', 'duck', 'rabbit', 'owl'] as const;
const NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven'] as const;
const VERBS = ['sleeping', 'running', 'hiding', 'sitting', 'playing', 'waiting', 'jumping', 'resting'] as const;
const THINGS = ['balloon', 'kite', 'umbrella', 'door', 'scarf', 'car', 'boat', 'flag'] as const;

const an = (word: string) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
const plural = (noun: string) => (noun.endsWith('sh') || noun.endsWith('x') ? `${noun}es` : `${noun}s`);

// Frames never start with a colour word, so a colour always tokenises with its leading space.
const FRAMES: ((pick: <T>(list: readonly T[]) => T) => string)[] = [
  (p) => `The ${p(COLOURS)} ${p(ANIMALS)} is ${p(VERBS)} next to ${p(NUMBERS)} ${plural(p(SHAPES))}.`,
  (p) => `My neighbour painted ${p(NUMBERS)} ${p(COLOURS)} ${plural(p(SHAPES))} on the garden wall.`,
  (p) => `Two ${plural(p(ANIMALS))} were ${p(VERBS)} under ${an(p(COLOURS))} ${p(THINGS)}.`,
  (p) => `She drew a ${p(SHAPES)} around the ${p(COLOURS)} ${p(ANIMALS)}.`,
  (p) => `Children love ${p(COLOURS)} ${plural(p(THINGS))} and ${plural(p(ANIMALS))}.`,
  (p) => `In the picture, ${an(p(ANIMALS))} is ${p(VERBS)} beside ${an(p(COLOURS))} ${p(SHAPES)}.`,
  (p) => `We counted ${p(NUMBERS)} ${plural(p(ANIMALS))} and one ${p(COLOURS)} ${p(THINGS)}.`,
  (p) => `Our old dog sleeps on ${an(p(COLOURS))} blanket with ${p(NUMBERS)} ${plural(p(SHAPES))} on it.`,
  (p) => `Please cut out ${an(p(COLOURS))} ${p(SHAPES)} and ${an(p(COLOURS))} ${p(SHAPES)}.`,
];

export function writeTextSentences(count = TEXT_DOCUMENT_COUNT): string[] {
  const rng: Rng = mulberry32(hashSeed('sightline-demo', 'sentences'));
  const pick = <T>(list: readonly T[]): T => list[randomIndex(list.length, rng)];
  // Cycle through the frames so every kind of sentence appears; the words are drawn from the seed.
  return Array.from({ length: count }, (_, i) => FRAMES[i % FRAMES.length](pick));
}

/** Inserts the corpus and its documents; returns the documents in insertion order, with their ids. */
export function insertCorpus(project: Project, images: DemoImage[], createdAt: number): DemoDocument[] {
  const db: Db = project.db;
  const corpusId = Number(
    db
      .prepare('INSERT INTO corpora (name, description, source_json, created_at) VALUES (?, ?, ?, ?)')
      .run(
        CORPUS_NAME,
        'Sightline demo: procedurally drawn shapes with captions, and short sentences about colours, shapes and animals.',
        JSON.stringify({ generator: 'sightline demo', version: 1, seeded: true }),
        createdAt,
      ).lastInsertRowid,
  );
  const insertDocument = db.prepare(
    `INSERT INTO documents (corpus_id, external_id, kind, text, tokens_json, media_sha256, meta_json)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const documents: DemoDocument[] = [];
  images.forEach((image, index) => {
    const { sha256 } = project.media.put(image.png, 'image/png', { width: image.width, height: image.height }, image.name);
    const tokens = tokenize(image.caption);
    const externalId = `image-${String(index).padStart(2, '0')}`;
    const meta = { concepts: image.concepts, patch_grid: [12, 12], source: 'procedural' };
    const id = Number(insertDocument.run(corpusId, externalId, 'multimodal', image.caption, JSON.stringify(tokens), sha256, JSON.stringify(meta)).lastInsertRowid);
    documents.push({ id, externalId, kind: 'multimodal', text: image.caption, tokens, image: { ...image, sha256 } });
  });
  writeTextSentences().forEach((text, index) => {
    const tokens = tokenize(text);
    const externalId = `text-${String(index).padStart(2, '0')}`;
    const id = Number(insertDocument.run(corpusId, externalId, 'text', text, JSON.stringify(tokens), null, '{}').lastInsertRowid);
    documents.push({ id, externalId, kind: 'text', text, tokens, image: null });
  });
  return documents;
}
