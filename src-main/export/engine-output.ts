// The JSONL, CSV and Parquet writers' common step: the columnar engine writes the AtomicFile's
// temp path (store/columnar-engine.ts), counting rows into the progress meter as it reads them.
import { copyJudgements, type CopyRequest } from '../store/columnar-engine';
import type { AtomicFile } from './atomic-output';
import type { ProgressMeter } from './progress';
import type { ExportSource } from './source';

export function writeWithEngine(
  query: Pick<CopyRequest, 'columns' | 'select' | 'options' | 'sqliteParams' | 'threads'>,
  source: ExportSource,
  file: AtomicFile,
  meter: ProgressMeter,
): Promise<void> {
  // record() throws on cancel: the engine stops the COPY with that error and the caller removes the temp file.
  return copyJudgements({ ...query, source, file: file.temp, onRows: (rows) => meter.record(rows) });
}
