/**
 * A worker thread's entry (a .ts file under lib/threads) bundled by esbuild into
 * node_modules/.cache/arbiter, so the thread resolves @tensorflow/* from the app's node_modules (tfjs
 * stays external). One bundle per entry and content hash, built once per process.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { appRoot } from '@/lib/env';

const built = new Map<string, Promise<string>>();

export function bundleThread(entry: string): Promise<string> {
  let file = built.get(entry);
  if (!file) {
    file = build(entry);
    built.set(entry, file);
    file.catch(() => built.delete(entry));
  }
  return file;
}

async function build(entry: string): Promise<string> {
  const root = appRoot();
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'lib', 'threads', entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    external: ['@tensorflow/*'],
    absWorkingDir: root,
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  await esbuild.stop();
  const code = result.outputFiles[0]!.text;
  const dir = path.join(root, 'node_modules', '.cache', 'arbiter');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${path.basename(entry, '.ts')}-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  if (!fs.existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, file);
  }
  return file;
}
