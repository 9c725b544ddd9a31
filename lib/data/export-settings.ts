/** The choices of one export, as the REST API, the Export page and the export job accept them. */
import { z } from 'zod';
import { AGGREGATIONS, MARGINS, RANKING_PAIRS, TIE_POLICIES, type ExportOptions } from './export';
import { EXPORT_FORMATS, type ExportFormat } from './export-files';

export type ExportRequest = {
  format: ExportFormat;
  options: ExportOptions;
  /** Also make pairs from this attribute's ratings (difference ≥ threshold). */
  ratingsAttribute?: string;
  ratingsThreshold?: number;
};

export const exportSettingsSchema = z.object({
  format: z.enum(EXPORT_FORMATS).default('trl'),
  aggregation: z.enum(AGGREGATIONS).default('majority'),
  ties: z.enum(TIE_POLICIES).default('drop'),
  margin: z.enum(MARGINS).default('off'),
  rankings: z.enum(RANKING_PAIRS).default('best-vs-each-adjacent'),
  testShare: z.coerce.number().min(0).max(0.5).default(0),
  seed: z.coerce.number().int().min(0).default(0),
  minAgreement: z.coerce.number().min(0).max(1).default(0),
  ratingsAttribute: z.union([z.literal(''), z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an attribute name')]).optional(),
  ratingsThreshold: z.coerce.number().min(1).max(4).default(1),
});
export type ExportSettings = z.output<typeof exportSettingsSchema>;

export function toExportRequest(s: ExportSettings): ExportRequest {
  return {
    format: s.format,
    options: { aggregation: s.aggregation, ties: s.ties, margin: s.margin, rankingPairs: s.rankings, testShare: s.testShare, seed: s.seed, minAgreement: s.minAgreement },
    ratingsAttribute: s.ratingsAttribute || undefined,
    ratingsThreshold: s.ratingsThreshold,
  };
}
