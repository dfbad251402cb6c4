// The researcher's saved templates (built-in ones live in code, domain/templates.ts), kept as JSON by id and version.
import type { TemplateSpec } from '../contract/templates';
import { nowMs } from '../util/time';
import type { Db } from './db';

/** Every saved version of every template, as stored, by id then version. */
export function listSavedTemplateJson(db: Db): string[] {
  return db.prepare('SELECT template_json FROM templates ORDER BY id, version').pluck().all() as string[];
}

/** The newest saved version of template `id`, as stored. */
export function latestSavedTemplateJson(db: Db, id: string): string | undefined {
  return db.prepare('SELECT template_json FROM templates WHERE id = ? ORDER BY version DESC LIMIT 1').pluck().get(id) as
    | string
    | undefined;
}

/** Saves the template; saving the same id and version again replaces it. */
export function saveTemplate(db: Db, template: TemplateSpec): void {
  db.prepare('INSERT OR REPLACE INTO templates (id, version, template_json, created_at) VALUES (?, ?, ?, ?)').run(
    template.id,
    template.version,
    JSON.stringify(template),
    nowMs(),
  );
}
