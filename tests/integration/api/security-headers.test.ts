/**
 * The security headers next.config.js gives every response: a Content-Security-Policy that forbids framing,
 * plugins, <base> changes and cross-origin form posts, and allows only our own (and inline) scripts, with
 * 'unsafe-eval' under `next dev` alone. tests/e2e/access.spec.ts checks the real server sends them and that
 * pages still hydrate under the policy.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

type Header = { key: string; value: string };
type Config = { headers?: () => Promise<{ source: string; headers: Header[] }[]> };
// The file Next itself loads (plain JavaScript, so imported by URL rather than through the TypeScript paths).
const nextConfig = ((await import(pathToFileURL(path.resolve('next.config.js')).href)) as { default: Config }).default;
const env = process.env as Record<string, string | undefined>;
const nodeEnv = env.NODE_ENV;

async function headersFor(mode: string): Promise<Map<string, string>> {
  env.NODE_ENV = mode;
  const rules = await nextConfig.headers!();
  const all = rules.find((r) => r.source === '/:path*');
  expect(all, 'a rule for every path').toBeDefined();
  return new Map(all!.headers.map((h) => [h.key.toLowerCase(), h.value]));
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
}

describe('security headers', () => {
  afterEach(() => {
    env.NODE_ENV = nodeEnv;
  });

  it('forbids framing, plugins, <base> and foreign form targets, and allows only our own and inline scripts', async () => {
    const headers = await headersFor('production');
    expect(headers.get('x-frame-options')).toBe('DENY');
    const csp = directives(headers.get('content-security-policy')!);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'self'"]);
    expect(csp.get('form-action')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("adds 'unsafe-eval' to script-src under next dev only", async () => {
    expect(directives((await headersFor('development')).get('content-security-policy')!).get('script-src')).toEqual(["'self'", "'unsafe-inline'", "'unsafe-eval'"]);
    expect(directives((await headersFor('test')).get('content-security-policy')!).get('script-src')).not.toContain("'unsafe-eval'");
  });
});
