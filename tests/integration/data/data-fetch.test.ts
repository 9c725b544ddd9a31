/**
 * `npm run data:fetch` (scripts/data-fetch.ts) and its manifest, tested without the internet: a loopback HTTP
 * server stands in for raw.githubusercontent.com, serving made-up files, or the real copies where the resolver
 * finds them; an address nothing listens on stands in for a machine with no network.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFetchError, fetchRealData, hashFile, loadManifest, MANIFEST_PATH, NoNetworkError, type ManifestFile } from '@/scripts/data-fetch';
import { lookUpRealData, realDataRoots, realFiles } from '../../helpers/real-data';
import { runTs } from '../../helpers/spawn';

type Served = { url: string; requests: string[]; close: () => Promise<void> };
const servers: Served[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Serves `routes` (URL path → body, or a function writing the answer) on 127.0.0.1; 404 for anything else. */
async function serve(routes: Record<string, Buffer | ((res: http.ServerResponse) => void)>): Promise<Served> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const route = routes[req.url!];
    if (typeof route === 'function') return route(res);
    if (!route) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-length': route.length }).end(route);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const served = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(served);
  return served;
}

function entry(p: string, body: Buffer): ManifestFile {
  return { path: p, url: `https://raw.githubusercontent.com/owner/repo/${'a'.repeat(40)}/${p}`, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), licence: 'CC0-1.0' };
}

const tmpDir = () => fs.mkdtempSync(path.join(process.env.ARBITER_DATA_DIR!, 'fetch-'));
/** Every file under dir, relative, with forward slashes. */
const listing = (dir: string) => (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isFile()).map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/')).sort();

const bodyA = Buffer.from('model_a,model_b,winner\nx,y,model_a\n'.repeat(500));
const bodyB = Buffer.from(JSON.stringify({ chosen: 'yes', rejected: 'no' }).repeat(200));
const files = [entry('set-a/battles.csv', bodyA), entry('set-b/deep/pairs.jsonl', bodyB)];
const routes = () => ({ [new URL(files[0]!.url).pathname]: bodyA, [new URL(files[1]!.url).pathname]: bodyB });

describe('data:fetch', () => {
  it('the manifest pins every file to a commit on raw.githubusercontent.com with a size, a SHA-256 and a licence', () => {
    const manifest = loadManifest();
    expect(manifest.length).toBeGreaterThanOrEqual(9);
    for (const f of manifest) expect(f.url, f.path).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[\w.-]+\/[\w.-]+\/[0-9a-f]{40}\/\S+$/);
    // Every data set docs/data-sources.md describes has its folder in the manifest.
    const sets = new Set(manifest.map((f) => f.path.split('/')[0]));
    expect([...sets].sort()).toEqual(['copilot-arena', 'hh-rlhf-harmless', 'hhh-alignment', 'llmfao', 'oasst-trees', 'pandalm', 'squality-human-eval', 'wmt13-fr-en-rankings']);
  });

  it('refuses a manifest entry that could write outside its folder, or lacks a hash', () => {
    const dir = tmpDir();
    const write = (files: unknown) => {
      const f = path.join(dir, 'm.json');
      fs.writeFileSync(f, JSON.stringify({ files }));
      return () => loadManifest(f);
    };
    expect(write([{ ...files[0], path: '../escape.csv' }])).toThrow(/path must be a relative path inside the data folder/);
    expect(write([{ ...files[0], path: '/etc/passwd' }])).toThrow(/path must be a relative path/);
    expect(write([{ ...files[0], sha256: 'abc' }])).toThrow(/sha256 must be 64 lower-case hex digits/);
    expect(write([files[0], files[0]])).toThrow(/listed twice/);
    expect(write([{ ...files[0], url: 'http://example.com/x' }])).toThrow(/url must be an https address/);
  });

  it('downloads every file, verifies it and renames it into place; a second run downloads nothing; a changed copy is fetched again', async () => {
    const server = await serve(routes());
    const dir = tmpDir();
    const log: string[] = [];
    expect(await fetchRealData({ files, dir, baseUrl: server.url, log: (l) => log.push(l) })).toEqual({ downloaded: ['set-a/battles.csv', 'set-b/deep/pairs.jsonl'], present: [] });
    expect(listing(dir)).toEqual(['set-a/battles.csv', 'set-b/deep/pairs.jsonl']);
    expect(fs.readFileSync(path.join(dir, 'set-b', 'deep', 'pairs.jsonl'))).toEqual(bodyB);
    expect(log.join('\n')).toMatch(/set-a\/battles.csv: \d+ KiB, SHA-256 verified, licence: CC0-1.0$/m);
    expect(server.requests).toHaveLength(2);

    expect(await fetchRealData({ files, dir, baseUrl: server.url })).toEqual({ downloaded: [], present: ['set-a/battles.csv', 'set-b/deep/pairs.jsonl'] });
    expect(server.requests).toHaveLength(2);

    // Same size, one byte different: the hash, not the size, catches it.
    const a = path.join(dir, 'set-a', 'battles.csv');
    const changed = Buffer.from(bodyA);
    changed[10] = changed[10]! ^ 1;
    fs.writeFileSync(a, changed);
    const again: string[] = [];
    expect(await fetchRealData({ files, dir, baseUrl: server.url, log: (l) => again.push(l) })).toEqual({ downloaded: ['set-a/battles.csv'], present: ['set-b/deep/pairs.jsonl'] });
    expect(again[0]).toBe('set-a/battles.csv: the copy here differs from the manifest; downloading it again');
    expect(fs.readFileSync(a)).toEqual(bodyA);
  });

  it('refuses a corrupted download by its SHA-256, names the file and leaves nothing behind', async () => {
    const corrupted = Buffer.from(bodyB);
    corrupted[corrupted.length - 3] = corrupted[corrupted.length - 3]! ^ 0x20;
    const server = await serve({ ...routes(), [new URL(files[1]!.url).pathname]: corrupted });
    const dir = tmpDir();
    const failure = await fetchRealData({ files, dir, baseUrl: server.url }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataFetchError);
    expect(failure).not.toBeInstanceOf(NoNetworkError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^set-b/deep/pairs.jsonl: refused: .* gave ${bodyB.length} bytes with SHA-256 ${createHash('sha256').update(corrupted).digest('hex')}, the manifest says ${bodyB.length} bytes with SHA-256 ${files[1]!.sha256} .*nothing was kept$`),
    );
    // The good file before it stays; the bad one left neither a file nor a partial.
    expect(listing(dir)).toEqual(['set-a/battles.csv']);
  });

  it('refuses a truncated, an oversized and a missing (HTTP 404) download, keeping nothing of each', async () => {
    const half = bodyA.subarray(0, bodyA.length / 2);
    const server = await serve({
      [new URL(files[0]!.url).pathname]: half,
      '/big': Buffer.concat([bodyA, Buffer.from('more')]),
    });
    const dir = tmpDir();
    await expect(fetchRealData({ files: [files[0]!], dir, baseUrl: server.url })).rejects.toThrow(new RegExp(`set-a/battles.csv: refused: .* gave ${half.length} bytes .*the manifest says ${bodyA.length} bytes`));
    await expect(fetchRealData({ files: [{ ...files[0]!, url: 'https://raw.githubusercontent.com/big' }], dir, baseUrl: server.url })).rejects.toThrow(/refused: .*\/big sent more than the manifest's \d+ bytes/);
    await expect(fetchRealData({ files: [files[1]!], dir, baseUrl: server.url })).rejects.toThrow(/set-b\/deep\/pairs.jsonl: http:\/\/127.0.0.1:\d+\/owner\/repo\/a{40}\/set-b\/deep\/pairs.jsonl answered HTTP 404; nothing was kept/);
    expect(listing(dir)).toEqual([]);
  });

  it('a connection cut mid-download is a network failure and leaves no partial file', async () => {
    const server = await serve({
      [new URL(files[0]!.url).pathname]: (res) => {
        res.writeHead(200, { 'content-length': bodyA.length });
        res.write(bodyA.subarray(0, 1000), () => res.destroy());
      },
    });
    const dir = tmpDir();
    await expect(fetchRealData({ files: [files[0]!], dir, baseUrl: server.url })).rejects.toThrow(NoNetworkError);
    expect(listing(dir)).toEqual([]);
  });

  it('removes the partial file a killed run left behind, but not one a running fetch is writing', async () => {
    const server = await serve(routes());
    const dir = tmpDir();
    // A pid no process can have: Linux's pid_max is at most 2^22 (a child we started and waited for could
    // have its pid reused while other test files spawn processes).
    const deadPid = 2 ** 22 + 1;
    fs.mkdirSync(path.join(dir, 'set-a'), { recursive: true });
    const stale = path.join(dir, 'set-a', `battles.csv.partial-${deadPid}`);
    const live = path.join(dir, 'set-a', `battles.csv.partial-${process.ppid}`);
    fs.writeFileSync(stale, 'half a file');
    fs.writeFileSync(live, 'another run is writing this');
    await fetchRealData({ files, dir, baseUrl: server.url });
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it('without a network says so in one line and exits 1', async () => {
    // An address nothing listens on: the connection is refused, as with no network.
    const closed = await serve({});
    await closed.close();
    servers.splice(servers.indexOf(closed), 1);
    const dir = tmpDir();
    const run = await runTs('scripts/data-fetch.ts', ['--base-url', closed.url, '--dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^data:fetch: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): no network\? Copy the data sets and set ARBITER_REAL_DATA=<folder> instead\n$/);
    expect(listing(dir)).toEqual([]);
  });

  it("the manifest's sizes and hashes match the copies of the real data sets found", async (ctx) => {
    const manifest = loadManifest();
    const found = realFiles(ctx, ...manifest.map((f) => f.path));
    for (const [k, f] of manifest.entries()) expect(await hashFile(found[k]!), f.path).toEqual({ bytes: f.bytes, sha256: f.sha256 });
  });

  it('fetches the whole manifest from a server holding the real copies, at their upstream paths', async (ctx) => {
    const manifest = loadManifest();
    const found = realFiles(ctx, ...manifest.map((f) => f.path));
    const server = await serve(Object.fromEntries(manifest.map((f, k) => [new URL(f.url).pathname, fs.readFileSync(found[k]!)])));
    const dir = tmpDir();
    const result = await fetchRealData({ files: manifest, dir, baseUrl: server.url });
    expect(result.downloaded).toEqual(manifest.map((f) => f.path));
    expect(listing(dir)).toEqual(manifest.map((f) => f.path).sort());
    // The resolver finds what data:fetch wrote when it is the only copy.
    expect(lookUpRealData(['llmfao/crowd-comparisons.csv'], { ARBITER_REAL_DATA: dir })).toEqual({ found: [path.join(dir, 'llmfao', 'crowd-comparisons.csv')] });
  });
});

describe('the real-data resolver', () => {
  const someFile = 'llmfao/llmfao-golden.csv';
  it('looks in ARBITER_REAL_DATA first, then beside the repository, then in the data:fetch cache', () => {
    const roots = realDataRoots({ ARBITER_REAL_DATA: '/x/copy' });
    expect(roots[0]).toBe('/x/copy');
    expect(roots[2]).toBe(path.join(path.dirname(MANIFEST_PATH), '.cache', 'real-data'));
    expect(realDataRoots({})).toEqual(roots.slice(1));
  });

  it('takes each file from the first folder that has it', () => {
    const [first, second] = [tmpDir(), tmpDir()];
    for (const dir of [first, second]) fs.mkdirSync(path.join(dir, 'llmfao'));
    fs.writeFileSync(path.join(second, 'llmfao', 'llmfao-golden.csv'), 'x');
    fs.writeFileSync(path.join(second, 'pandalm'), 'a file where a folder should be');
    expect(lookUpRealData([someFile], {}, [first, second])).toEqual({ found: [path.join(second, 'llmfao', 'llmfao-golden.csv')] });
    fs.writeFileSync(path.join(first, 'llmfao', 'llmfao-golden.csv'), 'y');
    expect(lookUpRealData([someFile], {}, [first, second])).toEqual({ found: [path.join(first, 'llmfao', 'llmfao-golden.csv')] });
  });

  it('explains a missing data set with the fix, and fails rather than skips under ARBITER_REQUIRE_REAL_DATA', () => {
    const empty = tmpDir();
    const missing = lookUpRealData([someFile, 'pandalm/testset-v1.json'], {}, [empty]);
    expect(missing).toEqual({
      missing: [someFile, 'pandalm/testset-v1.json'],
      fail: false,
      explanation: `real data not found: ${someFile}, pandalm/testset-v1.json (looked in ARBITER_REAL_DATA (unset), ${empty}); run \`npm run data:fetch\` (or set ARBITER_REAL_DATA=<folder with a copy>)`,
      reason: `real data not found (looked in ARBITER_REAL_DATA (unset), ${empty}); run \`npm run data:fetch\` (or set ARBITER_REAL_DATA=<folder with a copy>)`,
    });
    const many = ['llmfao/crowd-comparisons.csv', 'llmfao/models.jsonl', 'llmfao/prompts.jsonl', someFile];
    expect(lookUpRealData(many, {}, [empty])).toMatchObject({ missing: many, explanation: expect.stringMatching(/^real data not found: 4 files \(llmfao\/crowd-comparisons.csv, llmfao\/models.jsonl, llmfao\/prompts.jsonl, …\) \(looked in/) });
    for (const required of ['1', 'true', 'yes']) {
      expect(lookUpRealData([someFile], { ARBITER_REQUIRE_REAL_DATA: required }, [empty])).toMatchObject({ fail: true, explanation: expect.stringMatching(/npm run data:fetch.*\. ARBITER_REQUIRE_REAL_DATA is set, so a missing data set fails the test$/) });
    }
    for (const off of ['', '0', 'false']) expect(lookUpRealData([someFile], { ARBITER_REQUIRE_REAL_DATA: off }, [empty])).toMatchObject({ fail: false });
    const notAFolder = `ARBITER_REAL_DATA=${path.join(empty, 'nope')} is not a folder: point it at a copy of the real data sets, or unset it`;
    expect(lookUpRealData([someFile], { ARBITER_REAL_DATA: path.join(empty, 'nope') })).toEqual({ missing: [someFile], fail: true, explanation: notAFolder, reason: notAFolder });
    expect(() => lookUpRealData(['not/in-manifest.csv'], {})).toThrow(/not\/in-manifest.csv is not in tests\/real-data.manifest.json/);
  });
});
