// `sightline sweep --images DIR|CSV|IMAGE` (issue 14): one grid row per image, every image asked the
// same prompt. Each row carries the study's classes for the concept-choice campaign: the image's own
// class (else `--source-class`) is the source; the target is the CSV's `target_class`, else `--target-class`, else the `to` of a
// probe vector (`probe` stores v_A→B = μ_B − μ_A, so steering along it moves towards B); the two
// distractors are the CSV's, else `--distractors`, else two other classes of the image set, drawn by a seed from the
// document id so that every shard and every rerun picks the same.
import crypto from 'node:crypto';
import path from 'node:path';
import { readImageBytes } from '../engine/vision/image-file';
import { readImageHeader } from '../importers/image-header';
import type { ModelRecord } from '../importers/model-import';
import type { MediaStore } from '../project/media';
import type { VectorSource } from '../store/vectors';
import { AppError } from '../util/errors';
import { hashSeed, mulberry32, shuffleInPlace } from '../util/random';
import { readImageDocuments } from './image-documents';
import { type ImagePrompt, IMAGE_PLACEHOLDER, IMAGE_QUESTION, imagePromptFromBytes } from './image-prompt';
import type { SweepPrompt } from './prompts-file';

export const DEFAULT_IMAGE_PROMPT = IMAGE_QUESTION;
/** The paper's concept-choice item: source, target and two distractors. */
const DISTRACTORS = 2;

export interface SweepImage {
  /** the document id (folder path, or the CSV's `document`) */
  document: string;
  /** absolute path, as read when the sweep started */
  file: string;
  /** of the file's bytes when the sweep started; checked again when its turn comes */
  sha256: string;
}

export interface SweepImageRows {
  /** one per image, in order: the prompt (as given) and its classes */
  prompts: SweepPrompt[];
  images: SweepImage[];
  /** for the sweep's spec: the count, and a sha256 over the images' sha256s in order (so over their bytes) */
  spec: { count: number; sha256: string };
}

export interface SweepImagesOptions {
  /** the DIR or CSV of `--images` */
  source: string;
  prompt: string;
  /** `--target-class`: for every image whose CSV row names none */
  targetClass?: string | undefined;
  /** `--source-class`: for every image whose folder or CSV row gives none (one image file, say) */
  sourceClass?: string | undefined;
  /** `--distractors`: for every image whose CSV row names none, instead of two other classes drawn */
  distractors?: string[] | undefined;
  /** the stored vector steered with; a probe vector names its target class */
  vector?: { name: string; source: VectorSource } | undefined;
}

function sha256Of(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** Reads the image list and hashes every file (the sweep's id depends on the images' bytes). */
export function readSweepImages(options: SweepImagesOptions): SweepImageRows {
  const documents = readImageDocuments(options.source);
  const probeTarget = options.vector?.source.kind === 'probe' ? options.vector.source.to : undefined;
  const labels = [...new Set(documents.flatMap((d) => (d.label === undefined ? [] : [d.label])))].sort();
  const images: SweepImage[] = [];
  const prompts = documents.map((d) => {
    const bytes = readImageBytes(d.file);
    images.push({ document: d.id, file: d.file, sha256: sha256Of(bytes) });
    const sourceClass = d.label ?? options.sourceClass;
    const targetClass = d.targetClass ?? options.targetClass ?? probeTarget;
    const others = labels.filter((l) => l !== sourceClass && l !== targetClass);
    const distractors =
      d.distractors ??
      options.distractors ??
      shuffleInPlace(others, mulberry32(hashSeed('distractors', d.id))).slice(0, DISTRACTORS);
    const row: SweepPrompt = { prompt: options.prompt };
    if (sourceClass !== undefined) row.sourceClass = sourceClass;
    if (targetClass !== undefined) row.targetClass = targetClass;
    if (distractors.length > 0) row.distractors = distractors;
    return row;
  });
  const listHash = crypto.createHash('sha256');
  for (const image of images) listHash.update(`${image.sha256}\n`);
  return { prompts, images, spec: { count: images.length, sha256: listHash.digest('hex') } };
}

/** The prompt text kept with each generation (what a rater reads): without the <image> placeholder. */
export function shownPrompt(prompt: string): string {
  return prompt.includes(IMAGE_PLACEHOLDER) ? prompt.replace(IMAGE_PLACEHOLDER, '').trim() : prompt;
}

export interface PreparedSweepImage {
  prompt: ImagePrompt;
  /** the image in the project's media (content-addressed: the same as its file's sha256) */
  mediaSha256: string;
}

/**
 * An image's turn: read again (refused if it changed since the sweep started: its id would be
 * wrong), stored in the project's media so that a campaign can show it, and preprocessed.
 */
export async function prepareSweepImage(
  model: ModelRecord,
  image: SweepImage,
  media: MediaStore,
): Promise<PreparedSweepImage> {
  const name = path.basename(image.file);
  const bytes = readImageBytes(image.file);
  if (sha256Of(bytes) !== image.sha256)
    throw new AppError(
      'invalid_input',
      `${image.file}: changed since the sweep started (sha256 was ${image.sha256.slice(0, 12)}…); run the sweep again`,
    );
  const header = readImageHeader(bytes, name);
  const prompt = await imagePromptFromBytes(model, bytes, image.file);
  const stored = media.put(bytes, header.mime, { width: header.width, height: header.height }, name);
  return { prompt, mediaSha256: stored.sha256 };
}

/** What names a sweep's rows: the prompts and classes, and for images each image's document id. */
export function promptsForHash(prompts: SweepPrompt[], imageRows: SweepImageRows | undefined): unknown {
  return imageRows ? prompts.map((p, i) => ({ ...p, document: imageRows.images[i].document })) : prompts;
}

/** A generation's image, in its hidden fields: which document, its bytes' hash, where it was read. */
export function imageMeta(image: SweepImage, prepared: PreparedSweepImage): Record<string, unknown> {
  return {
    document: image.document,
    sha256: image.sha256,
    file: image.file,
    media_sha256: prepared.mediaSha256,
    positions: prepared.prompt.positions,
  };
}
