/**
 * The local Hugging Face checkpoints (GPT-2 or Llama family) an admin made available: each subdirectory of
 * ARBITER_CHECKPOINTS_DIR holding a config.json. Users and jobs name a checkpoint; only a name listed
 * here resolves to a directory, so paths, `..` and links out of the directory are never followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getEnv } from './env';

export type CheckpointEntry = { name: string; dir: string };

export function listCheckpoints(root: string | undefined = getEnv().ARBITER_CHECKPOINTS_DIR): CheckpointEntry[] {
  if (!root || !fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'config.json')))
    .map((e) => ({ name: e.name, dir: path.join(path.resolve(root), e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The directory of a configured checkpoint by name; anything else is refused with the names on offer. */
export function resolveCheckpoint(name: string, root: string | undefined = getEnv().ARBITER_CHECKPOINTS_DIR): string {
  if (!root) throw new Error('no checkpoints are configured: an admin sets ARBITER_CHECKPOINTS_DIR to a directory of Hugging Face checkpoints (GPT-2, Llama, Qwen2, Mistral)');
  const available = listCheckpoints(root);
  const found = available.find((c) => c.name === name);
  if (!found) throw new Error(`unknown checkpoint ${JSON.stringify(name)}; available: ${available.map((c) => c.name).join(', ') || 'none'}`);
  return found.dir;
}
