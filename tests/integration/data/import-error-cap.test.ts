/**
 * One upload of tiny bad records used to produce an answer listing every one of them (5M `{}` lines:
 * a 314 MB JSON response and a 2.68 GB memory peak). The report now lists the first errors and counts
 * the rest by kind, so its size does not grow with the file.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { MAX_LISTED_ERRORS } from '@/lib/data/import-error-log';
import { createActor } from '../../helpers/actors';
import { params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { queryRow } from '../../helpers/sql';

const LINES = 300_000;

describe('the import report is bounded', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 't' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 6 }, researcher);

  it(`${LINES.toLocaleString('en')} empty records in a small .jsonl.gz: a small answer, bounded memory, nothing written`, async () => {
    const body = zlib.gzipSync(Buffer.from('{}\n'.repeat(LINES)));
    expect(body.length).toBeLessThan(10_000);
    const counts = () => queryRow('select (select count(*) from prompts) + (select count(*) from comparisons) + (select count(*) from items) as n');
    const before = await counts();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const res = await importFile(
      new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=empty.jsonl.gz&format=pairs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body,
      }),
      params({ id: String(projectId) }),
    );
    clearInterval(sampler);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text.length, 'the answer does not grow with the number of bad rows').toBeLessThan(32_000);
    const report = JSON.parse(text) as { imported: boolean; errorCount: number; errors: unknown[]; errorKinds: { kind: string; count: number }[] };
    expect(report.imported).toBe(false);
    expect(report.errorCount).toBe(LINES);
    expect(report.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(report.errorKinds.reduce((s, k) => s + k.count, 0)).toBe(LINES);
    expect(report.errorKinds.length).toBeLessThanOrEqual(3);
    expect(await counts()).toEqual(before);
    const growthMiB = (peak - rssBefore) / 2 ** 20;
    console.log(`${LINES} bad rows: answer ${(text.length / 1024).toFixed(1)} KiB, rss growth ${growthMiB.toFixed(0)} MiB`);
    expect(growthMiB).toBeLessThan(100);
  });
});
