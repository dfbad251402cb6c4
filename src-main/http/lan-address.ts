import os from 'node:os';

/** The machine's first non-internal IPv4 address, or undefined when it has none (no network). */
export function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

/**
 * The host to put in links for a server bound to `bound`. A wildcard bind (0.0.0.0 or ::) is for
 * raters on other machines, who cannot open 127.0.0.1, so links use the first network address (the
 * researcher's machine reaches it too). A machine with several networks, a hostname or a tunnel
 * needs `rater add --base-url`.
 */
export function linkHost(bound: string | undefined): string {
  if (!bound) return '127.0.0.1';
  if (bound === '0.0.0.0' || bound === '::') return lanAddress() ?? '127.0.0.1';
  return bound;
}
