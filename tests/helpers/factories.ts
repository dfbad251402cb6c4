// Test factories: each test gets its own temporary project folder and builds the data it needs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { EventBus } from '../../src-main/api/events';
import type { ApiContext, Caller } from '../../src-main/api/context';
import { BUILTIN_TEMPLATES } from '../../src-main/domain/templates';
import { openProject, type Project } from '../../src-main/project/project';
import { insertCampaign, type NewItem } from '../../src-main/store/campaigns';
import { insertRater, type RaterRecord } from '../../src-main/store/raters';
import type { Clock } from '../../src-main/util/time';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

export function tempDir(prefix = 'sightline-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A project in a fresh temporary folder; pass a TestClock (tests/helpers/clock.ts) to control its time. */
export function makeProject(options: { clock?: Clock } = {}): Project {
  const project = openProject(path.join(tempDir(), 'test.sightline'), { create: true, clock: options.clock });
  cleanups.unshift(() => project.close());
  return project;
}

export const CONCEPT_CLASSES = ['goldfish', 'school bus', 'strawberry', 'volcano', 'tabby cat', 'golden retriever'];

/** Concept-choice items in the paper's shape: options in canonical order, the answer key hidden. */
export function conceptItems(count: number): NewItem[] {
  return Array.from({ length: count }, (_, index) => {
    const [source, target, d1, d2] = [0, 1, 2, 3].map(
      (offset) => CONCEPT_CLASSES[(index + offset) % CONCEPT_CLASSES.length],
    );
    const k = (index % 7) * 5;
    return {
      payload: {
        question: 'What is shown in this image?',
        answer: `It looks like a ${k > 10 ? target : source}.`,
        options: [source, target, d1, d2].sort(),
      },
      hidden: { source_class: source, target_class: target, correct: target, k, layer: 20 },
      condition: `k=${k}`,
    };
  });
}

export function makeConceptCampaign(
  project: Project,
  options: { items?: number; overlap?: number; leaseSeconds?: number; name?: string; maxItemsPerRater?: number } = {},
): number {
  return insertCampaign(
    project.db,
    {
      name: options.name ?? 'Which concept?',
      template: BUILTIN_TEMPLATES['concept-choice'],
      instructions: 'Pick the concept the answer is about.',
      overlap: options.overlap ?? 2,
      leaseSeconds: options.leaseSeconds ?? 600,
      maxItemsPerRater: options.maxItemsPerRater ?? null,
      seed: 7,
    },
    conceptItems(options.items ?? 6),
  );
}

/** A one-item concept campaign whose item shows the image `sha256` (for media access tests). */
export function campaignShowingImage(project: Project, sha256: string): number {
  const campaignId = makeConceptCampaign(project, { items: 1, overlap: 1 });
  // Test setup, not app code: the item's payload is pointed at the image directly.
  project.db
    .prepare('UPDATE items SET payload_json = json_set(payload_json, ?, ?) WHERE campaign_id = ?')
    .run('$.image', sha256, campaignId);
  return campaignId;
}

export function makeRater(project: Project, campaignId: number, name: string): RaterRecord {
  return insertRater(project.db, campaignId, name, 7);
}

export function contextFor(project: Project, caller: Caller): ApiContext {
  return { project, events: new EventBus(), caller };
}

export const researcher: Caller = { role: 'researcher' };
export const asRater = (rater: RaterRecord): Caller => ({ role: 'rater', rater });
