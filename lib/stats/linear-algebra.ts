/** Small dense linear algebra shared by the Newton fits (row-major n × n arrays). */

/** Solves A·x = b for a symmetric positive-definite A by Cholesky; null when A is not positive definite. */
export function solveSpd(n: number, a: Float64Array, b: Float64Array): Float64Array | null {
  const l = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    let d = l[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) return null;
    const root = Math.sqrt(d);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let v = l[i * n + j]!;
      for (let k = 0; k < j; k++) v -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = v / root;
    }
  }
  const x = Float64Array.from(b);
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
  return x;
}
