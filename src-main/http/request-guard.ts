// Which requests the server answers at all (issue 11). A hostile page can make a browser send
// requests here in two ways: DNS rebinding (its own name, resolved to 127.0.0.1, so the browser sends
// that name as Host) and cross-site posts (a form or fetch from its origin, which browsers label with
// Origin). So every request must name this server in Host, and every state-changing one must come
// from this server's own origin or carry no Origin (curl, scripts, the CLI).
import os from 'node:os';

export interface HostRules {
  /** The address the server is bound to (127.0.0.1, a LAN address, or 0.0.0.0 / :: for every interface). */
  bound: string;
  port: number;
  /** More host names to accept on any port (`serve --allow-host`: a hostname or tunnel raters use). */
  allowedHosts?: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = ['0.0.0.0', '::'];

/**
 * Splits a Host header into a lower-case hostname (IPv6 without brackets) and its port (null when the
 * header names none); null when it is no valid host.
 */
export function parseHost(header: string | undefined): { hostname: string; port: number | null } | null {
  if (!header) return null;
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/i.exec(header);
  if (!match) return null;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { hostname: (match[1] ?? match[2]).toLowerCase(), port };
}

/** The addresses of this machine's interfaces, read when asked (a laptop changes networks). */
const interfaceAddresses = (): string[] =>
  Object.values(os.networkInterfaces())
    .flat()
    .flatMap((address) => (address ? [address.address.toLowerCase()] : []));

/**
 * Whether a Host header names this server: a loopback name or the bound address on the bound port;
 * bound to every interface, any address of this machine (or its hostname) on that port; or a name
 * the researcher allowed, on any port (a tunnel's public port differs from ours).
 */
export function hostAllowed(header: string | undefined, rules: HostRules): boolean {
  const host = parseHost(header);
  if (!host) return false;
  if (rules.allowedHosts?.some((name) => name.toLowerCase() === host.hostname)) return true;
  if ((host.port ?? 80) !== rules.port) return false;
  if (LOOPBACK_NAMES.includes(host.hostname) || host.hostname === rules.bound.toLowerCase()) return true;
  if (!WILDCARDS.includes(rules.bound)) return false;
  return host.hostname === os.hostname().toLowerCase() || interfaceAddresses().includes(host.hostname);
}

/**
 * Whether a state-changing request may go on: no Origin (not a browser's cross-site request), or an
 * origin whose host is exactly the Host the request was sent to (already checked by hostAllowed).
 * "null" (sandboxed frames, file: pages) is refused. https counts too: a TLS tunnel in front of us.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  const host = parseHost(hostHeader);
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (
    !host ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.origin !== origin.toLowerCase().replace(/\/$/, '')
  )
    return false;
  // URL drops a scheme's default port, so a Host that spells it out is compared without it.
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  const hostPort = host.port === defaultPort ? null : host.port;
  const originPort = url.port === '' ? null : Number(url.port);
  return url.hostname.replace(/^\[|\]$/g, '') === host.hostname && originPort === hostPort;
}
