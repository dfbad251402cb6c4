// Lease expiries pushed as events (issue 4: "lease expiries - pushed as events, no polling").
// One timer per open project, armed for the earliest open lease; it is re-armed whenever a lease is
// handed out or renewed, an answer or skip ends one, and after each expiry. Nothing polls: with no
// open lease there is no timer at all.
import type { Project } from '../project/project';
import { earliestLeaseExpiry, leasesExpiredBetween, nextLeaseExpiry } from '../store/monitor';
import type { ClockTimer } from '../util/time';
import type { ApiContext } from './context';
import type { EventBus } from './events';

// setTimeout takes a signed 32-bit delay; longer leases (up to a week) are re-armed on the way.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LeaseExpiryTimer {
  private timer: ClockTimer | null = null;
  private armedFor: number | null = null;
  /** Expiries up to this time have been announced. */
  private announcedUpTo: number;

  constructor(
    private readonly project: Pick<Project, 'db' | 'clock'>,
    private readonly events: EventBus,
  ) {
    this.announcedUpTo = project.clock.now();
  }

  /**
   * Arms the timer for the earliest open lease running out after `after` (none: no timer). After
   * an alarm, `after` is the time the alarm announced up to: a lease expiring between that and a
   * fresh clock read would otherwise fall between the two and never be announced.
   */
  rearm(after = this.project.clock.now()): void {
    if (!this.project.db.open) return this.stop();
    this.arm(earliestLeaseExpiry(this.project.db, after));
  }

  /**
   * Makes the timer fire no later than `at`, without asking the database: a lease handed out or
   * renewed until `at`, or leases ended now (a revoked rater's).
   */
  armBy(at: number): void {
    if (this.armedFor === null || at < this.armedFor) this.arm(at);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.armedFor = null;
  }

  private arm(at: number | null): void {
    this.stop();
    if (at === null) return;
    this.armedFor = at;
    // The clock's timers never keep a finished CLI command or a closing server alive.
    this.timer = this.project.clock.setTimer(
      () => this.fire(),
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.project.clock.now())),
    );
  }

  /**
   * Announces every lease that ran out since the last alarm, per campaign. A renewed or submitted
   * lease makes the alarm early; then nothing ran out, nothing is sent, and the timer re-arms.
   * Node may also fire a little early (timers count from the event loop's cached clock); the lease
   * is then still ahead of `now`, and the re-armed timer catches it.
   */
  private fire(): void {
    this.timer = null;
    this.armedFor = null;
    const { db } = this.project;
    if (!db.open) return;
    try {
      const now = this.project.clock.now();
      const expired = leasesExpiredBetween(db, this.announcedUpTo, now);
      this.announcedUpTo = now;
      for (const { campaignId, expired: count } of expired) {
        this.events.emit('campaign.leasesExpired', {
          campaignId,
          expired: count,
          nextExpiryAt: nextLeaseExpiry(db, campaignId, now),
        });
      }
      this.rearm(now);
    } catch {
      // The project closed between the check and the query; nobody is left to tell.
    }
  }
}

// Keyed by the open project: every bridge (HTTP server, IPC shell, CLI) builds contexts from one
// project object, so they share its one timer.
const timers = new WeakMap<Pick<Project, 'db' | 'clock'>, LeaseExpiryTimer>();

/** The project's lease timer, created on first use with the context's event bus. */
export function leaseExpiries(context: Pick<ApiContext, 'project' | 'events'>): LeaseExpiryTimer {
  let timer = timers.get(context.project);
  if (!timer) {
    timer = new LeaseExpiryTimer(context.project, context.events);
    timers.set(context.project, timer);
  }
  return timer;
}
