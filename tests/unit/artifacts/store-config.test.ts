/** Which store the environment picks, and the settings every process refuses at start (lib/env.ts). */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactStore } from '@/lib/artifacts';
import { DirectoryArtifactStore } from '@/lib/artifacts/directory-store';
import { S3ArtifactStore } from '@/lib/artifacts/s3-store';
import { artifactStoreConfig, parseEnv } from '@/lib/env';

const S3 = { ARBITER_S3_BUCKET: 'arbiter-artifacts', ARBITER_S3_REGION: 'eu-west-1', ARBITER_S3_ACCESS_KEY_ID: 'AKIA…', ARBITER_S3_SECRET_ACCESS_KEY: 'secret' };

describe('artifact store configuration', () => {
  it('keeps artifacts in the data directory by default, where installs from before the store have them', () => {
    expect(artifactStoreConfig(parseEnv({ ARBITER_DATA_DIR: '/srv/arbiter' }))).toEqual({ kind: 'directory', root: path.resolve('/srv/arbiter') });
    expect(artifactStoreConfig(parseEnv({ ARBITER_DATA_DIR: '/srv/arbiter', ARBITER_ARTIFACTS_DIR: '/mnt/shared/artifacts' }))).toEqual({ kind: 'directory', root: '/mnt/shared/artifacts' });
    expect(artifactStore(artifactStoreConfig(parseEnv({ ARBITER_ARTIFACTS_DIR: '/mnt/shared/artifacts' })))).toBeInstanceOf(DirectoryArtifactStore);
  });

  it('uses a bucket with the local cache under this host’s data directory, path-style at an endpoint', () => {
    const config = artifactStoreConfig(parseEnv({ ...S3, ARBITER_DATA_DIR: '/srv/arbiter', ARBITER_S3_ENDPOINT: 'http://minio:9000', ARBITER_S3_PREFIX: '/prod/arbiter/' }));
    expect(config).toEqual({
      kind: 's3',
      bucket: 'arbiter-artifacts',
      prefix: 'prod/arbiter',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      accessKeyId: 'AKIA…',
      secretAccessKey: 'secret',
      cacheDir: path.join('/srv/arbiter', 'cache', 'artifacts', 's3', 'arbiter-artifacts', 'prod', 'arbiter'),
    });
    const store = artifactStore(config);
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.location).toBe('s3://arbiter-artifacts/prod/arbiter');
    expect(artifactStore(config)).toBe(store); // one client per configuration
  });

  it('refuses a bucket without its region and keys, stray S3 settings, and two stores at once', () => {
    expect(() => parseEnv({ ARBITER_S3_BUCKET: 'arbiter-artifacts' })).toThrow(
      'ARBITER_S3_BUCKET is set, so ARBITER_S3_REGION, ARBITER_S3_ACCESS_KEY_ID, ARBITER_S3_SECRET_ACCESS_KEY must be set too',
    );
    expect(() => parseEnv({ ...S3, ARBITER_S3_SECRET_ACCESS_KEY: undefined })).toThrow(/so ARBITER_S3_SECRET_ACCESS_KEY must be set too/);
    expect(() => parseEnv({ ARBITER_S3_ENDPOINT: 'http://minio:9000', ARBITER_S3_REGION: 'us-east-1' })).toThrow(
      'ARBITER_S3_ENDPOINT, ARBITER_S3_REGION are set but ARBITER_S3_BUCKET is not',
    );
    expect(() => parseEnv({ ...S3, ARBITER_ARTIFACTS_DIR: '/mnt/shared' })).toThrow(/ARBITER_ARTIFACTS_DIR and ARBITER_S3_BUCKET are both set/);
    expect(() => parseEnv({ ...S3, ARBITER_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/ARBITER_S3_BUCKET must be a bucket name/);
    expect(() => parseEnv({ ...S3, ARBITER_S3_ENDPOINT: 'minio:9000' })).toThrow(/ARBITER_S3_ENDPOINT must be an http\(s\) URL/);
    expect(() => parseEnv({ ...S3, ARBITER_S3_PREFIX: 'a/../b' })).toThrow(/ARBITER_S3_PREFIX must be/);
  });
});
