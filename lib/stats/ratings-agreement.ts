/**
 * Agreement on per-response attribute ratings (0–4, HelpSteer2 style): for every attribute,
 * Krippendorff's α at the ordinal level (units = rated responses, coders = annotators) and Fleiss' κ
 * over the five rating categories on the responses rated by the most common number of annotators.
 */
import { fleissKappa, krippendorffAlpha } from './agreement';

export type RatingRow = { annotator: string; responseId: number; ratings: Record<string, number> };
export type AttributeAgreement = { attribute: string; ratings: number; units: number; alphaOrdinal: number | null; fleissKappa: number | null; fleissUnits: number; mean: number };

export function ratingsAgreement(rows: readonly RatingRow[], attributes: readonly string[]): AttributeAgreement[] {
  const annotators = [...new Set(rows.map((r) => r.annotator))].sort();
  const units = [...new Set(rows.map((r) => r.responseId))].sort((a, b) => a - b);
  const coder = new Map(annotators.map((a, k) => [a, k]));
  const unit = new Map(units.map((u, k) => [u, k]));
  return attributes.map((attribute) => {
    const matrix = annotators.map(() => new Array<number | null>(units.length).fill(null));
    let n = 0;
    let sum = 0;
    for (const r of rows) {
      const v = r.ratings[attribute];
      if (v === undefined) continue;
      matrix[coder.get(r.annotator)!]![unit.get(r.responseId)!] = v;
      n++;
      sum += v;
    }
    const perUnit = units.map((_, u) => matrix.map((row) => row[u]).filter((v): v is number => v !== null));
    const pairable = perUnit.filter((vs) => vs.length >= 2).length;
    const alpha = pairable >= 2 ? krippendorffAlpha(matrix, 'ordinal') : null;
    const sizes = new Map<number, number>();
    for (const vs of perUnit) if (vs.length >= 2) sizes.set(vs.length, (sizes.get(vs.length) ?? 0) + 1);
    const modal = [...sizes.entries()].sort((x, y) => y[1] - x[1] || y[0] - x[0])[0]?.[0];
    const fleissRows = modal
      ? perUnit.filter((vs) => vs.length === modal).map((vs) => {
          const counts = [0, 0, 0, 0, 0];
          for (const v of vs) counts[v]!++;
          return counts;
        })
      : [];
    return {
      attribute,
      ratings: n,
      units: perUnit.filter((vs) => vs.length > 0).length,
      alphaOrdinal: alpha === null || Number.isNaN(alpha) ? null : alpha,
      fleissKappa: fleissRows.length >= 2 ? fleissKappa(fleissRows) : null,
      fleissUnits: fleissRows.length,
      mean: n ? sum / n : Number.NaN,
    };
  });
}
