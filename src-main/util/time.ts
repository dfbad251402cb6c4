/** Milliseconds since the epoch. One function so tests can see every clock read in one place. */
export const nowMs = (): number => Date.now();
