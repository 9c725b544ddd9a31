/**
 * The artifact store of this process, chosen from the environment (lib/env.ts, artifactStoreConfig): an
 * S3-compatible bucket when ARBITER_S3_BUCKET is set, else a folder (ARBITER_ARTIFACTS_DIR, by default the
 * data directory). Web, workers and CLI all call this, so a file written on one host is read on another
 * through the same keys.
 */
import { artifactStoreConfig, type ArtifactStoreConfig } from '@/lib/env';
import { DirectoryArtifactStore } from './directory-store';
import { S3ArtifactStore } from './s3-store';
import type { ArtifactStore } from './store';

export type { ArtifactStore } from './store';

let current: { settings: string; store: ArtifactStore } | undefined;

/** One store per configuration (tests change the environment between files): an S3 client is made once, not per call. */
export function artifactStore(config: ArtifactStoreConfig = artifactStoreConfig()): ArtifactStore {
  const settings = JSON.stringify(config);
  if (current?.settings !== settings) current = { settings, store: config.kind === 's3' ? new S3ArtifactStore(config) : new DirectoryArtifactStore(config.root) };
  return current.store;
}
