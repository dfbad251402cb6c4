// How deep a parsed JSON value nests. JSON.parse reads any depth, but JSON.stringify, structured
// clone (the IPC bridge) and recursive walkers overflow the stack somewhere past ten thousand levels,
// so an imported file that nests deeper than anything real is refused before it reaches them.

/** Item payloads nest a few levels (options: [{value, label}]); this leaves room and stays far from any stack limit. */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests arrays/objects more than `limit` levels deep. Iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length) {
    const { value: current, depth } = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
