/**
 * `npm run data:fetch`: downloads the real data sets the tests read (tests/real-data.manifest.json) from their
 * original public addresses into tests/.cache/real-data/ (git-ignored), where tests/helpers/real-data.ts finds them.
 *
 * Every file is written to `<target>.partial-<pid>` first and renamed into place only once its size and SHA-256
 * match the manifest, so an interrupted or corrupted download never leaves a file the tests would read.
 * Files already present with the right hash are not downloaded again.
 *
 *   npm run data:fetch [-- --dir <folder>] [-- --base-url <http(s)://host[:port]>]
 *
 * --base-url replaces the scheme and host of every manifest address (a mirror that keeps GitHub's paths).
 * Exit status: 0 when every file is present and verified, 1 otherwise (one `data:fetch: …` line on stderr says why).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isProcessAlive } from '@/lib/process-alive';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST_PATH = path.join(REPO, 'tests', 'real-data.manifest.json');
/** Where data:fetch puts the files; the resolver's last place to look. */
export const CACHE_DIR = path.join(REPO, 'tests', '.cache', 'real-data');

export type ManifestFile = { path: string; url: string; bytes: number; sha256: string; licence: string };

/**
 * A refusal that is not about the network: a bad manifest, an HTTP error status, a size or hash mismatch.
 * This developer tool (npm run data:fetch, and the tests' data resolver) is no door of the app, so its two
 * errors are its own, not AppErrors: main() prints either in one line, and callers tell no-network apart.
 */
export class DataFetchError extends Error {}

/** The address could not be reached at all (no DNS, refused, reset): the caller has no network to fetch from. */
export class NoNetworkError extends DataFetchError {
  constructor(host: string, reason: string) {
    super(`cannot reach ${host} (${reason}): no network? Copy the data sets and set ARBITER_REAL_DATA=<folder> instead`);
  }
}

/** Reads and checks the manifest, so a typo there is reported before anything is downloaded. */
export function loadManifest(file = MANIFEST_PATH): ManifestFile[] {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { files?: unknown };
  if (!Array.isArray(parsed.files) || parsed.files.length === 0) throw new DataFetchError(`${file}: "files" must be a non-empty list`);
  const seen = new Set<string>();
  return parsed.files.map((entry: Partial<ManifestFile>, k) => {
    const where = `${file}: files[${k}]`;
    const p = entry.path;
    // Relative, forward slashes, no `..`: a manifest entry can only ever write inside the target folder.
    if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new DataFetchError(`${where}: path must be a relative path inside the data folder, got ${JSON.stringify(p)}`);
    }
    if (seen.has(p)) throw new DataFetchError(`${where}: ${p} is listed twice`);
    seen.add(p);
    if (typeof entry.url !== 'string' || !/^https:\/\//.test(entry.url)) throw new DataFetchError(`${where} (${p}): url must be an https address`);
    if (!Number.isSafeInteger(entry.bytes) || entry.bytes! <= 0) throw new DataFetchError(`${where} (${p}): bytes must be a positive whole number`);
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) throw new DataFetchError(`${where} (${p}): sha256 must be 64 lower-case hex digits`);
    if (typeof entry.licence !== 'string' || entry.licence.trim() === '') throw new DataFetchError(`${where} (${p}): licence must be named`);
    return { path: p, url: entry.url, bytes: entry.bytes!, sha256: entry.sha256, licence: entry.licence };
  });
}

/** Size and SHA-256 of a file, streamed (the largest data set is a few MB, but nothing here needs it whole). */
export async function hashFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function matches(file: string, entry: ManifestFile): Promise<boolean> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size !== entry.bytes) return false;
  return (await hashFile(file)).sha256 === entry.sha256;
}

/** The innermost reason fetch gives (undici wraps the socket error in `cause`), e.g. ENOTFOUND or ECONNREFUSED. */
function networkReason(error: unknown): string {
  let e: unknown = error;
  while (e instanceof Error && e.cause !== undefined) e = e.cause;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

/** Removes `<name>.partial-<pid>` files left by a data:fetch that was killed mid-download (its pid no longer runs). */
function sweepStalePartials(target: string): void {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.partial-`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

async function download(entry: ManifestFile, url: string, target: string, fetchImpl: typeof fetch): Promise<void> {
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: 'follow' });
  } catch (error) {
    // fetch rejects only when no HTTP answer came back at all: DNS, connect, TLS or reset.
    throw new NoNetworkError(host, networkReason(error));
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DataFetchError(`${entry.path}: ${url} answered HTTP ${response.status}; nothing was kept`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const out = fs.openSync(partial, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        // Stop early rather than write an endless or oversized answer to disk.
        if (bytes > entry.bytes) throw new DataFetchError(`${entry.path}: refused: ${url} sent more than the manifest's ${entry.bytes} bytes (changed upstream or the wrong file); nothing was kept`);
        hash.update(chunk);
        fs.writeSync(out, chunk);
      }
    } catch (error) {
      if (error instanceof DataFetchError) throw error;
      throw new NoNetworkError(host, `${networkReason(error)} after ${bytes} bytes of ${entry.path}`);
    }
    fs.fsyncSync(out);
    fs.closeSync(out);
    const sha256 = hash.digest('hex');
    if (bytes !== entry.bytes || sha256 !== entry.sha256) {
      throw new DataFetchError(
        `${entry.path}: refused: ${url} gave ${bytes} bytes with SHA-256 ${sha256}, the manifest says ${entry.bytes} bytes with SHA-256 ${entry.sha256} (corrupted in transit or changed upstream); nothing was kept`,
      );
    }
    fs.renameSync(partial, target);
  } catch (error) {
    try {
      fs.closeSync(out);
    } catch {
      // already closed
    }
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

export type FetchOptions = {
  files: ManifestFile[];
  /** Folder the files go to, each at its manifest path. */
  dir: string;
  /** Replaces the scheme and host of every url (tests point it at a loopback server; mirrors keep GitHub's paths). */
  baseUrl?: string;
  fetch?: typeof fetch;
  log?: (line: string) => void;
};

/** Makes every manifest file present and verified in `dir`; throws NoNetworkError or DataFetchError, leaving no partial file. */
export async function fetchRealData(options: FetchOptions): Promise<{ downloaded: string[]; present: string[] }> {
  const fetchImpl = options.fetch ?? fetch;
  const log = options.log ?? (() => {});
  const base = options.baseUrl?.replace(/\/+$/, '');
  const downloaded: string[] = [];
  const present: string[] = [];
  for (const entry of options.files) {
    const target = path.join(options.dir, ...entry.path.split('/'));
    sweepStalePartials(target);
    if (await matches(target, entry)) {
      present.push(entry.path);
      continue;
    }
    if (fs.existsSync(target)) log(`${entry.path}: the copy here differs from the manifest; downloading it again`);
    const source = new URL(entry.url);
    const url = base ? `${base}${source.pathname}${source.search}` : entry.url;
    await download(entry, url, target, fetchImpl);
    downloaded.push(entry.path);
    log(`${entry.path}: ${(entry.bytes / 1024).toFixed(0)} KiB, SHA-256 verified, licence: ${entry.licence}`);
  }
  return { downloaded, present };
}

function parseArgs(argv: string[]): { dir: string; baseUrl?: string } {
  let dir = CACHE_DIR;
  let baseUrl: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    const value = () => {
      const v = argv[++k];
      if (v === undefined) throw new DataFetchError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--dir') dir = path.resolve(value());
    else if (arg === '--base-url') {
      baseUrl = value();
      if (!/^https?:\/\/[^/]+\/?$/.test(baseUrl)) throw new DataFetchError(`--base-url must be a scheme and host, e.g. http://127.0.0.1:8080, got ${baseUrl}`);
    } else throw new DataFetchError(`unknown argument ${arg} (usage: npm run data:fetch [-- --dir <folder>] [-- --base-url <http(s)://host[:port]>])`);
  }
  return { dir, baseUrl };
}

async function main(): Promise<void> {
  try {
    const { dir, baseUrl } = parseArgs(process.argv.slice(2));
    const files = loadManifest();
    const { downloaded, present } = await fetchRealData({ files, dir, baseUrl, log: (line) => console.log(line) });
    const relative = path.relative(process.cwd(), dir);
    const where = relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
    console.log(`data:fetch: ${files.length} files verified in ${where} (${downloaded.length} downloaded, ${present.length} already there)`);
  } catch (error) {
    if (!(error instanceof DataFetchError)) throw error;
    console.error(`data:fetch: ${error.message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
