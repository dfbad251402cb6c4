// Tokens are secrets: === stops at the first differing character, so how long a refusal takes could
// tell an attacker how much of a guessed token was right (issue 11). timingSafeEqual needs buffers
// of equal length, and comparing lengths first would leak the length; comparing SHA-256 digests of
// both sides gives equal lengths always, and equal digests only for equal strings.
import crypto from 'node:crypto';

const digest = (text: string): Buffer => crypto.createHash('sha256').update(text, 'utf8').digest();

/** Whether two secrets are the same string, in time that does not depend on where they differ. */
export function secretsEqual(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(digest(given), digest(expected));
}
