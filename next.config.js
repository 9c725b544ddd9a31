/**
 * Security headers on every response (pages, route handlers, static files). The Content-Security-Policy:
 * scripts and styles from our own origin only, plus inline ones — Next's App Router inlines the hydration
 * data and bootstrap scripts without a nonce unless every page renders dynamically, and Tailwind/recharts
 * set inline styles — and 'unsafe-eval' only under `next dev` (React's dev build and fast refresh need it).
 * No plugins, no <base> hijacking, forms post only to us, and no framing (frame-ancestors 'none', with
 * X-Frame-Options for browsers without CSP 2): a page of Arbiter cannot be clickjacked. Computed when Next
 * asks (`next dev` and `next build` have set NODE_ENV by then; `next start` serves what the build recorded).
 */
import process from 'node:process';

function securityHeaders() {
  const development = process.env.NODE_ENV === 'development';
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${development ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    { key: 'Content-Security-Policy', value: contentSecurityPolicy },
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'Referrer-Policy', value: 'same-origin' },
  ];
}

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded from node_modules at run time, never bundled: better-sqlite3 (native), tfjs, which the
  // server loads only to score with a reward model (bundled, the wasm backend cannot find its .wasm files),
  // and the S3 artifact store's SDK, loaded only when a bucket is configured (Next already keeps
  // @aws-sdk/client-s3 external; lib-storage goes with it, so both share one client module).
  serverExternalPackages: ['better-sqlite3', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@aws-sdk/lib-storage'],
  poweredByHeader: false,
  // `npm test` type-checks the whole repository (tests included) in its static tier; `npm start`
  // must not refuse to serve because a test file has a type error, so the build skips that check.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders() }];
  },
};

export default nextConfig;
