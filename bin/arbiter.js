#!/usr/bin/env node
// The `arbiter` command: loads tsx so the TypeScript CLI runs on plain Node 20, from any directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env.ARBITER_APP_ROOT ??= root;
register({ tsconfig: path.join(root, 'tsconfig.json') });
await import('../cli/main.ts');
