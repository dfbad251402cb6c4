// The rater's session: the campaign, progress and a small queue of prefetched items.
// queue[0] is on screen; queue[1] is already loaded, so after a submit the next item appears
// without a round trip. The next item is shown only once rater.submit has resolved: the
// judgement is durable before the screen moves on. That answer also brings the item after it
// (rater.submit's prefetch), so a steady run of submits makes no rater.next calls at all.
import type {
  Answer,
  RaterItem,
  RaterNext,
  RaterProgress,
  RaterSession,
  RaterWaiting,
} from '../../../src-main/contract';
import { ApiError, call, errorText, retryWhileBusy } from '../lib/client';
import { pageClock, type Clock, type ClockTimer } from '../lib/clock';
import { skipState, undoAllowed } from './rating-logic';

/** The server no longer knows this rater's token: the researcher revoked it (or it was never whole). */
const linkWithdrawn = (error: unknown): boolean => error instanceof ApiError && error.code === 'unauthorized';

const BUSY_NOTICE = 'The project is busy (another program is writing to it); trying again…';

export type QueueStatus = 'loading' | 'rating' | 'waiting' | 'done' | 'disqualified' | 'error';

/** While nothing is available for now (paused, or leased to others), rater.next is asked again this often. */
const WAITING_RETRY_MS = 20_000;

/** Items held: the one on screen and the next (queue[1]). */
const PREFETCH = 2;

/** The longest the prefetch waits for a frame (a hidden tab has none). */
const AFTER_PAINT_FALLBACK_MS = 200;

export class RaterQueue {
  session = $state<RaterSession | null>(null);
  progress = $state<RaterProgress>({ submitted: 0, total: 0 });
  queue = $state<RaterItem[]>([]);
  status = $state<QueueStatus>('loading');
  busy = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  /** Why there is nothing to rate for now (status 'waiting'); null when done. */
  waiting = $state<RaterWaiting | null>(null);

  current = $derived<RaterItem | null>(this.queue[0] ?? null);
  /** The answer an undo took back, for the item it brought back (shown selected again). */
  private undone: { assignmentId: number; answer: Answer | null } | null = null;

  /** Assignments this page submitted or skipped; a refill that raced with them must not bring them back. */
  private finished = new Set<number>();
  /** Bumped on every submit/skip/undo so an older rater.next answer does not overwrite newer progress. */
  private generation = 0;
  private refilling: Promise<void> | null = null;
  private refillAgain = false;
  private retryTimer: ClockTimer | null = null;

  /** The clock the waiting screen's retry goes by (the page's; a test may pass its own). */
  constructor(private readonly clock: Clock = pageClock) {}

  async start(): Promise<void> {
    try {
      this.session = await this.write(() => call('rater.session', {}));
      this.progress = this.session.progress;
      if (this.session.status === 'disqualified') {
        this.status = 'disqualified';
        return;
      }
      await this.refill();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    // A withdrawn link fails every call with `unauthorized`: say so in the rater's words, not the API's.
    this.error = linkWithdrawn(error)
      ? 'This link no longer works: it has been withdrawn or is not complete. Ask the person who sent you the link.'
      : errorText(error);
    this.status = 'error';
  }

  private async settleStatus(): Promise<void> {
    if (this.queue.length > 0) {
      this.status = 'rating';
      return;
    }
    // No items for now: the campaign is paused or closed, or others hold the remaining items.
    // Only a rater with nothing left is done (and shown the completion code).
    if (this.waiting) {
      this.status = 'waiting';
      if (this.waiting !== 'closed') this.retryTimer ??= this.clock.setTimer(() => void this.retry(), WAITING_RETRY_MS);
      return;
    }
    // No items left: done, or the qualification round just ended in a fail. Either way the session
    // is read again: the server gives the Prolific code only now, once the rater has finished.
    // rater.session records when the code was first shown, so it is a write (retried while busy);
    // a failure here is reported rather than leaving the rater on a done screen without their code.
    this.session = await this.write(() => call('rater.session', {}));
    this.progress = this.session.progress;
    this.status = this.session.status === 'disqualified' ? 'disqualified' : 'done';
  }

  /** Asks for items again from the waiting screen (its button, or the timer). */
  async retry(): Promise<void> {
    this.retryTimer?.cancel();
    this.retryTimer = null;
    if (this.status !== 'waiting') return;
    this.status = 'loading';
    try {
      await this.refill();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Re-reads the session (qualification progress, disqualification); a failure keeps the old one. */
  async refreshSession(): Promise<void> {
    try {
      this.session = await call('rater.session', {});
      if (this.session.status === 'disqualified') {
        // The round just failed: prefetched items are not theirs to answer any more.
        this.queue = [];
        this.status = 'disqualified';
      }
    } catch {
      // The note is informative only; the next submit or refill reports real errors.
    }
  }

  /** The qualification round is still open: its progress note follows each answer. */
  get qualifying(): boolean {
    const qualification = this.session?.qualification;
    return Boolean(qualification && qualification.passed !== true);
  }

  /** Fetches [current, next]; concurrent calls share one request and re-run once if asked meanwhile. */
  refill(): Promise<void> {
    if (this.refilling) {
      this.refillAgain = true;
      return this.refilling;
    }
    this.refilling = (async () => {
      do {
        this.refillAgain = false;
        const generation = this.generation;
        const { items, progress, waiting } = await this.write(() => call('rater.next', { count: PREFETCH }));
        if (generation === this.generation) this.progress = progress;
        this.waiting = waiting;
        this.merge(items);
      } while (this.refillAgain);
      await this.settleStatus();
    })().finally(() => {
      this.refilling = null;
    });
    return this.refilling;
  }

  private merge(items: RaterItem[]): void {
    const kept = this.queue.slice(0, 1);
    for (const item of items) {
      if (this.finished.has(item.assignmentId)) continue;
      if (kept.some((queued) => queued.assignmentId === item.assignmentId)) continue;
      kept.push(item);
    }
    this.queue = kept;
  }

  /**
   * Removes the shown item after the server confirmed, shows the next one, and refills: from `next`
   * when the call's answer brought the prefetch (a submit), else in the background.
   */
  private async moveOn(assignmentId: number, progress: RaterProgress, next?: RaterNext): Promise<void> {
    this.generation++;
    this.finished.add(assignmentId);
    this.progress = progress;
    this.queue = this.queue.filter((item) => item.assignmentId !== assignmentId);
    if (this.qualifying) void this.refreshSession();
    if (next) {
      this.waiting = next.waiting;
      this.merge(next.items);
      await this.settleStatus();
    } else if (this.queue.length > 0) {
      this.status = 'rating';
      // The prefetch waits for the next item's frame: sent now, its request and the server's lease
      // write would share the cores with that frame's rendering (bench:rate, issue 12).
      this.afterPaint(() =>
        this.refill().catch((error) => (this.notice = `Could not prefetch the next item: ${errorText(error)}`)),
      );
    } else {
      this.status = 'loading';
      await this.refill();
    }
  }

  /**
   * Runs `work` once the frame showing the current state has painted: a timer queued from an
   * animation frame callback runs after that frame's style, layout and paint. A hidden tab gets no
   * frames, so a timer runs it anyway soon after.
   */
  private afterPaint(work: () => void): void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      fallback.cancel();
      work();
    };
    const fallback = this.clock.setTimer(once, AFTER_PAINT_FALLBACK_MS);
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => this.clock.setTimer(once, 0));
  }

  /** A rater write, tried again while another process holds the project's lock (it wrote nothing then). */
  private async write<T>(attempt: () => Promise<T>): Promise<T> {
    const value = await retryWhileBusy(attempt, { onWait: () => (this.notice = BUSY_NOTICE) });
    if (this.notice === BUSY_NOTICE) this.notice = null;
    return value;
  }

  private async act(work: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.notice = null;
    try {
      await work();
    } catch (error) {
      this.notice = errorText(error);
      // A link withdrawn mid-session ends the session: every later call would fail the same way.
      if (this.queue.length === 0 || linkWithdrawn(error)) {
        this.notice = null;
        this.fail(error);
      }
    } finally {
      this.busy = false;
    }
  }

  submit(answer: Answer, activeMs: number): Promise<void> {
    const item = this.current;
    if (!item) return Promise.resolve();
    return this.act(async () => {
      const result = await this.write(() =>
        call('rater.submit', {
          assignmentId: item.assignmentId,
          answer,
          activeMs: Math.max(0, Math.round(activeMs)),
          prefetch: PREFETCH,
        }),
      );
      await this.moveOn(item.assignmentId, result.progress, result.next);
    });
  }

  /** Whether Skip is offered, and its label (rating-logic skipState): not in the qualification round, nor with no skips left. */
  get skipOffer(): ReturnType<typeof skipState> {
    return skipState(this.progress, this.qualifying);
  }

  /** Does nothing where Skip is not offered (the server refuses too). */
  skip(): Promise<void> {
    const item = this.current;
    if (!item) return Promise.resolve();
    if (!this.skipOffer.allowed) {
      // The `s` key lands here too: say why nothing happened.
      this.notice = this.skipOffer.reason;
      return Promise.resolve();
    }
    return this.act(async () => {
      const result = await this.write(() => call('rater.skip', { assignmentId: item.assignmentId }));
      await this.moveOn(item.assignmentId, result.progress);
    });
  }

  /** Whether undo is offered: not in the qualification round, nor once a code was given (rating-logic undoAllowed). */
  get canUndo(): boolean {
    return undoAllowed(this.session);
  }

  /** Takes back the last submission; that item comes back to the front, questions open again. */
  undo(): Promise<void> {
    if (!this.canUndo) return Promise.resolve();
    return this.act(async () => {
      const result = await this.write(() => call('rater.undo', {}));
      this.generation++;
      this.progress = result.progress;
      if (!result.item) {
        this.notice = 'Nothing to undo.';
        return;
      }
      const item = result.item;
      this.undone = { assignmentId: item.assignmentId, answer: result.previousAnswer };
      this.finished.delete(item.assignmentId);
      this.queue = [item, ...this.queue.filter((queued) => queued.assignmentId !== item.assignmentId)];
      this.status = 'rating';
      this.notice = 'Your last answer was taken back: change it, then submit again.';
    });
  }

  /** The answer to show selected on this item: the one an undo took back, else none. */
  previousAnswer(assignmentId: number): Answer | null {
    return this.undone?.assignmentId === assignmentId ? this.undone.answer : null;
  }

  flag(comment: string): Promise<void> {
    const item = this.current;
    if (!item) return Promise.resolve();
    return this.act(async () => {
      await this.write(() => call('rater.flag', { assignmentId: item.assignmentId, comment }));
      this.notice = 'Flagged for the researcher. You can still answer or skip this item.';
    });
  }
}
