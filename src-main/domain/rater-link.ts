// What a rater link (/rate?token=…) leads to before the page loads (issue 15): a link that was
// revoked, or that names no rater, gets a plain page saying so and whom to ask, instead of a rater
// screen that fails on its first call. A campaign may name a contact for its raters (settings.contact).
import { getCampaign } from '../store/campaigns';
import type { Db } from '../store/db';
import { findRaterByToken } from '../store/raters';

export type RaterLinkRefusal =
  /** No rater has this token: mistyped, cut short, or from another project. */
  | { reason: 'not_valid'; contact: null }
  /** The researcher revoked this rater; their campaign's contact, if it names one. */
  | { reason: 'withdrawn'; contact: string | null };

/** Null when the token is a live rater's (a disqualified rater still opens their page, to be told so). */
export function raterLinkRefusal(db: Db, token: string): RaterLinkRefusal | null {
  const rater = findRaterByToken(db, token);
  if (!rater) return { reason: 'not_valid', contact: null };
  if (rater.status !== 'revoked') return null;
  const contact = getCampaign(db, rater.campaignId).settings.contact;
  return { reason: 'withdrawn', contact: typeof contact === 'string' && contact.trim() ? contact.trim() : null };
}
