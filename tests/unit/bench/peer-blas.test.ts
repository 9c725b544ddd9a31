import { describe, expect, it, vi } from 'vitest';
import { peerRatio, ratioFields, type PeerBlas } from '@/bench/lib/peer-blas';

const blas = (kind: PeerBlas['kind'], libraries: string[]): PeerBlas => ({ kind, libraries, threads: 1, blasThreads: 1, architecture: null });

describe('peer ratios and the peer BLAS', () => {
  it('refuses a ratio against the reference BLAS, saying how to install OpenBLAS', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const r = peerRatio(31.6, 12.1, blas('reference', ['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0']));
    expect(r.ratio).toBeNull();
    expect(r.refused).toMatch(/reference BLAS[\s\S]*apt-get install -y libopenblas0-pthread/);
    expect(ratioFields(r)).toEqual({ ratio: null, ratioRefused: r.refused });
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it('gives ours/peer for throughputs and peer/ours for times against OpenBLAS', () => {
    const openblas = blas('openblas', ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3']);
    expect(peerRatio(31.6, 102.2, openblas)).toEqual({ ratio: 0.31, refused: null });
    expect(peerRatio(2, 1, openblas, { higherIsBetter: false })).toEqual({ ratio: 0.5, refused: null });
    expect(ratioFields(peerRatio(31.6, 102.2, openblas))).toEqual({ ratio: 0.31 });
  });

  it('has no ratio when the peer did not run or did not say which BLAS it used', () => {
    expect(peerRatio(1, null, null).ratio).toBeNull();
    expect(peerRatio(1, 2, null)).toEqual({ ratio: null, refused: 'the peer did not report its BLAS' });
  });
});
