// The Steer page's image (issue 14): a path on the machine that runs the model (typed, or chosen
// with the desktop app's file picker), shown as a thumbnail that the main process encodes
// (steer.imagePreview: the page never reads files), with the number of positions it takes in the
// chosen LLaVA-NeXT model's prompt. steer.generate gets the path only after it previewed well.
import type { ImagePreview } from '../../../../src-main/contract';
import { call, errorText } from '../../lib/client';

export class SteerImage {
  /** as typed or picked */
  path = $state('');
  preview = $state.raw<ImagePreview | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  /** the path (trimmed) and model the preview was made for */
  private shownFor = $state('');

  /** A path typed but not yet shown for this model: Generate shows it first. */
  pending(model: string): boolean {
    return this.path.trim() !== '' && this.shownFor !== `${model}\n${this.path.trim()}`;
  }

  /** Previews the path for `model` (its positions); clears everything when the path is empty. */
  async show(model: string): Promise<boolean> {
    const path = this.path.trim();
    if (path === '') {
      this.clear();
      return true;
    }
    this.loading = true;
    this.error = null;
    try {
      const preview = await call('steer.imagePreview', { path, ...(model ? { model } : {}) });
      // cleared or changed while it was read: the answer is for a path no longer there
      if (this.path.trim() !== path) return false;
      this.preview = preview;
      this.shownFor = `${model}\n${path}`;
      return true;
    } catch (caught) {
      if (this.path.trim() !== path) return false;
      this.preview = null;
      this.shownFor = '';
      this.error = errorText(caught);
      return false;
    } finally {
      this.loading = false;
    }
  }

  clear(): void {
    this.path = '';
    this.preview = null;
    this.error = null;
    this.shownFor = '';
  }
}
