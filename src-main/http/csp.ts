/**
 * One strict Content-Security-Policy for the renderer, served by HTTP and set by the Electron shell.
 * No inline scripts, no remote origins; images may be data: URLs (plots exported as PNG) or blobs.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
