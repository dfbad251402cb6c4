// How much one token may ask of the HTTP server at once (issue 11: five parallel 60 MB bodies on a
// rater token took the server from 69 MB to 557 MB).
import type { Role } from '../contract';
import { RATER_BODY_LIMIT_BYTES } from '../contract/rater-limits';

/**
 * Largest request body by role: a rater's largest valid input (derived from the contract), the
 * researcher's item upload (campaigns from an item file arrive as text in the body).
 */
export const BODY_LIMIT_BYTES: Record<Role, number> = { rater: RATER_BODY_LIMIT_BYTES, researcher: 64 << 20 };

/**
 * API requests in flight per token. The rater page has at most a call and a prefetch out at once;
 * a few more leave room for a second tab. The researcher's pages load several panels in parallel,
 * and a browser opens at most 6 connections to one origin per tab.
 */
export const CONCURRENT_BODIES_PER_TOKEN: Record<Role, number> = { rater: 4, researcher: 16 };

/**
 * Rater API requests in flight across all rater tokens. Rater tokens are cheap to come by (a public
 * Prolific link mints one per participant id), so a per-token bound alone does not bound memory:
 * 64 bodies of at most RATER_BODY_LIMIT_BYTES each. A real rater holds one or two at once, so 64
 * leaves room for dozens of raters answering at the same moment; past it a rater gets 429, which
 * the rater page waits out like a busy database.
 */
export const RATER_BODIES_IN_FLIGHT = 64;

/** Open event streams per token: one per open tab, with room for a few tabs. */
export const EVENT_STREAMS_PER_TOKEN: Record<Role, number> = { rater: 4, researcher: 16 };

/** Counts what each token holds open and refuses past a limit; a slot is released exactly once. */
export class TokenSlots {
  private readonly held = new Map<string, number>();

  /** A release function when the token holds fewer than `limit` slots, else null. */
  take(token: string, limit: number): (() => void) | null {
    const count = this.held.get(token) ?? 0;
    if (count >= limit) return null;
    this.held.set(token, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(token) ?? 1) - 1;
      if (left > 0) this.held.set(token, left);
      else this.held.delete(token);
    };
  }
}
