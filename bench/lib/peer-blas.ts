/**
 * The BLAS a Python peer ran on (bench/peers/blas_info.py), and the one rule every peer bench follows:
 * no ratio against the reference BLAS. Debian's python3-torch accepts `libblas3` for `libblas.so.3`, and on
 * it the same PyTorch runs 8–10× slower than on OpenBLAS: ratios recorded that way once claimed 3.3–4.3×
 * wins that were 0.31–0.42× losses.
 */
export type PeerBlas = { kind: 'openblas' | 'mkl' | 'blis' | 'reference' | 'unknown'; libraries: string[]; threads: number | null; blasThreads: number | null; architecture: string | null };

/**
 * The environment a peer runs in: this machine may set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (older
 * OpenBLAS builds misbehave on its processor without them), which hold a current OpenBLAS back. A peer is
 * measured at its best, so they are unset for its command alone; the kernel it then chose is recorded.
 */
export function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export const INSTALL_OPENBLAS = 'apt-get install -y libopenblas0-pthread (then re-run: Debian switches libblas.so.3 to OpenBLAS)';

/** The result fields of a ratio: `ratio`, and `ratioRefused` with the reason when there is none. */
export function ratioFields(r: { ratio: number | null; refused: string | null }): { ratio: number | null; ratioRefused?: string } {
  return r.refused ? { ratio: r.ratio, ratioRefused: r.refused } : { ratio: r.ratio };
}

/** ours / peer (or peer / ours for times, with `higherIsBetter: false`), or null with the reason when the peer's figure cannot be trusted. */
export function peerRatio(ours: number, peer: number | null, blas: PeerBlas | null, options: { higherIsBetter?: boolean } = {}): { ratio: number | null; refused: string | null } {
  if (peer === null) return { ratio: null, refused: 'the peer did not run' };
  if (!blas) return { ratio: null, refused: 'the peer did not report its BLAS' };
  if (blas.kind === 'reference') {
    const refused = `the peer ran on the reference BLAS (${blas.libraries.join(', ')}), which makes PyTorch several times slower than it is: no ratio. Install OpenBLAS: ${INSTALL_OPENBLAS}`;
    console.error(refused);
    return { ratio: null, refused };
  }
  const ratio = options.higherIsBetter === false ? peer / ours : ours / peer;
  return { ratio: +ratio.toFixed(2), refused: null };
}
