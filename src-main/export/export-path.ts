import path from 'node:path';
import { EXPORT_EXTENSIONS, type ExportFormat } from './index';

/** Where an export from the app goes: the project's exports/ folder, named after the campaign and the time. */
export function exportPathFor(exportsDir: string, campaignName: string, format: ExportFormat, at = new Date()): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  const safeName = campaignName.replace(/[^A-Za-z0-9_-]+/g, '_');
  return path.join(exportsDir, `${safeName}-${stamp}${EXPORT_EXTENSIONS[format]}`);
}
