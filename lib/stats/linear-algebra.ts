/**
 * Small dense linear algebra shared by the Newton fits (row-major n × n arrays): the one Cholesky
 * factorisation and solve. The in-place pair serves the Bradley–Terry fit, which allocates nothing per
 * iteration and reuses one factor across bootstrap rounds; solveSpd wraps it for everyone else.
 */

/** Cholesky factor of a symmetric positive-definite A, in place (lower triangle); false if A is not definite. */
export function choleskyInPlace(n: number, a: Float64Array): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) d -= a[rowJ + k]! * a[rowJ + k]!;
    if (!(d > 0)) return false;
    const root = Math.sqrt(d);
    a[rowJ + j] = root;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let v = a[rowI + j]!;
      for (let k = 0; k < j; k++) v -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = v / root;
    }
  }
  return true;
}

/** x ← L⁻ᵀ L⁻¹ x for a Cholesky factor L (choleskyInPlace's lower triangle): solves A·x = b in place. */
export function choleskySolve(n: number, l: Float64Array, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let v = x[i]!;
    for (let k = 0; k < i; k++) v -= l[i * n + k]! * x[k]!;
    x[i] = v / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let v = x[i]!;
    for (let k = i + 1; k < n; k++) v -= l[k * n + i]! * x[k]!;
    x[i] = v / l[i * n + i]!;
  }
}

/** Solves A·x = b for a symmetric positive-definite A by Cholesky, leaving A and b alone; null when A is not positive definite. */
export function solveSpd(n: number, a: Float64Array, b: Float64Array): Float64Array | null {
  const l = Float64Array.from(a);
  if (!choleskyInPlace(n, l)) return null;
  const x = Float64Array.from(b);
  choleskySolve(n, l, x);
  return x;
}
