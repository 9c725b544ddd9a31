/** Assembles the files of one export (path → content) from loaded data; the CLI, API and UI write them. */
import { datasetCard } from './dataset-card';
import { aggregateVotes, buildRows, LLAMAFACTORY_DATASET_INFO, selectRankingPairs, validateExport, type ExportContext, type ExportOptions, type ExportRows, type ValidationReport, type Vote } from './export';
import { dawidSkene } from '@/lib/stats/dawid-skene';

export const EXPORT_FORMATS = ['trl', 'implicit', 'standard', 'kto', 'llamafactory', 'battles', 'raw', 'all'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');

/** Dawid–Skene vote weights per annotator, from the votes themselves (4 classes in pair orientation). */
export function dawidSkeneWeights(votes: readonly Vote[]): Map<string, number> {
  const items = new Map<string, number>();
  const labels = votes.map((v) => {
    const key = `${v.promptId}:${Math.min(v.a, v.b)}:${Math.max(v.a, v.b)}`;
    if (!items.has(key)) items.set(key, items.size);
    const label = v.outcome === 'tie' ? 2 : v.outcome === 'both_bad' ? 3 : v.a < v.b ? 0 : 1;
    return { item: items.get(key)!, annotator: v.annotator, label };
  });
  return new Map(dawidSkene(labels, 4).annotators.map((a) => [a.annotator, a.weight]));
}

export type ExportBundle = { files: Record<string, string>; validation: ValidationReport; counts: ExportRows['counts'] };

export function buildExportFiles(
  data: ExportContext & { votes: Vote[]; projectName: string },
  extra: { raw: () => Record<string, unknown>[]; battles: () => Record<string, unknown>[]; judgments: number; alphaChoice: number | null; exportedAt: string },
  format: ExportFormat,
  options: ExportOptions,
): ExportBundle {
  const opts = options.aggregation === 'dawid-skene' && !options.weights ? { ...options, weights: dawidSkeneWeights(data.votes) } : options;
  const pairs = aggregateVotes(selectRankingPairs(data.votes, opts.rankingPairs), opts);
  const rows = buildRows(pairs, data, opts);
  const validation = validateExport(rows);
  const files: Record<string, string> = {};
  const want = (f: ExportFormat) => format === f || format === 'all';
  const splits = (dir: string, part: Record<'train' | 'test', Record<string, unknown>[]>) => {
    files[`${dir}train.jsonl`] = jsonl(part.train);
    if (part.test.length) files[`${dir}test.jsonl`] = jsonl(part.test);
  };
  if (want('trl')) splits('', rows.canonical);
  if (want('implicit')) splits('implicit/', rows.implicit);
  if (want('standard')) splits('standard/', rows.standard);
  if (want('kto')) splits('unpaired/', rows.unpaired);
  if (want('llamafactory')) {
    files['llamafactory/data.json'] = `${JSON.stringify(rows.llamafactory, null, 1)}\n`;
    files['llamafactory/dataset_info.json'] = `${JSON.stringify(LLAMAFACTORY_DATASET_INFO('arbiter_preferences'), null, 2)}\n`;
  }
  if (want('battles')) files['battles.jsonl'] = jsonl(extra.battles());
  if (want('raw')) files['raw_annotations.jsonl'] = jsonl(extra.raw());
  files['README.md'] = datasetCard({
    projectName: data.projectName,
    exportedAt: extra.exportedAt,
    judgments: extra.judgments,
    annotators: new Set(data.votes.map((v) => v.annotator)).size,
    agreement: { alphaChoice: extra.alphaChoice },
    options: opts,
    rows,
    validation,
    files: Object.keys(files).sort(),
  });
  return { files, validation, counts: rows.counts };
}
