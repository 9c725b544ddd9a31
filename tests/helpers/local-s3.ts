/**
 * An S3-compatible server for tests: s3rver in a child process (procs/local-s3.ts, so its memory is not
 * counted in the test's) on 127.0.0.1, on a port the system picks, keeping objects in a temporary folder,
 * with one bucket. `env` is what points Arbiter at it, for this process (then resetEnvCache) or for child
 * processes (workers, the CLI), which reach it over loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collect, spawnTs } from './spawn';

export type LocalS3 = {
  endpoint: string;
  bucket: string;
  env: Record<string, string>;
  stop(): Promise<void>;
};

/** s3rver checks request signatures against these fixed credentials. */
const ACCESS_KEY = 'S3RVER';

export async function startLocalS3(bucket = 'arbiter-test'): Promise<LocalS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-s3-'));
  const child = spawnTs('tests/helpers/procs/local-s3.ts', [dir, bucket]);
  const exited = collect(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((r) => reject(new Error(`s3rver exited before listening (${r.code ?? r.signal}): ${r.stderr}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: { ARBITER_S3_BUCKET: bucket, ARBITER_S3_ENDPOINT: endpoint, ARBITER_S3_REGION: 'us-east-1', ARBITER_S3_ACCESS_KEY_ID: ACCESS_KEY, ARBITER_S3_SECRET_ACCESS_KEY: ACCESS_KEY },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
