import path from 'node:path';
import { z } from 'zod';
import { writeProjectExport } from '@/db/queries/export';
import { AGGREGATIONS, MARGINS, RANKING_PAIRS, TIE_POLICIES } from '@/lib/data/export';
import { EXPORT_FORMATS } from '@/lib/data/export-files';
import { emit, idSchema, parseValue, requireValue, type Command } from '../context';

export const exportCommands: Command[] = [
  {
    name: 'export',
    usage: `export --project <id> --format ${EXPORT_FORMATS.join('|')} --out <dir> [--aggregation ${AGGREGATIONS.join('|')}] [--ties ${TIE_POLICIES.join('|')}] [--margin ${MARGINS.join('|')}] [--rankings ${RANKING_PAIRS.join('|')}] [--test-share 0..0.5] [--seed N] [--min-agreement 0..1] [--ratings-attribute <name> [--ratings-threshold 1..4]] [--json]`,
    summary: 'write trainer-ready files (TRL / OpenRLHF canonical JSONL, implicit, standard, KTO, LLaMA-Factory, battles, raw) with a dataset card and pre-flight validation',
    options: {
      project: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      aggregation: { type: 'string' },
      ties: { type: 'string' },
      margin: { type: 'string' },
      rankings: { type: 'string' },
      'test-share': { type: 'string' },
      seed: { type: 'string' },
      'min-agreement': { type: 'string' },
      'ratings-attribute': { type: 'string' },
      'ratings-threshold': { type: 'string' },
    },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const format = parseValue(z.enum(EXPORT_FORMATS), values.format ?? 'trl', '--format');
      const out = requireValue(values, 'out');
      const options = {
        aggregation: parseValue(z.enum(AGGREGATIONS).default('majority'), values.aggregation, '--aggregation'),
        ties: parseValue(z.enum(TIE_POLICIES).default('drop'), values.ties, '--ties'),
        margin: parseValue(z.enum(MARGINS).default('off'), values.margin, '--margin'),
        rankingPairs: parseValue(z.enum(RANKING_PAIRS).default('best-vs-each-adjacent'), values.rankings, '--rankings'),
        testShare: parseValue(z.coerce.number().min(0).max(0.5).default(0), values['test-share'], '--test-share'),
        seed: parseValue(z.coerce.number().int().min(0).default(0), values.seed, '--seed'),
        minAgreement: parseValue(z.coerce.number().min(0).max(1).default(0), values['min-agreement'], '--min-agreement'),
      };
      const ratingsAttribute = values['ratings-attribute'] === undefined ? undefined : parseValue(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an attribute name'), values['ratings-attribute'], '--ratings-attribute');
      const ratingsThreshold = parseValue(z.coerce.number().min(1).max(4).default(1), values['ratings-threshold'], '--ratings-threshold');
      const bundle = await writeProjectExport(projectId, path.resolve(out), { format, options, ratingsAttribute, ratingsThreshold });
      const dir = bundle.out;
      const v = bundle.validation;
      const c = bundle.counts;
      const text = [
        `wrote ${bundle.files.length} files to ${dir}: ${bundle.files.join(', ')}`,
        `${c.pairs} pairs (train ${c.train}, test ${c.test}); ${c.ties} ties (${c.tiesDropped} dropped from pair files); KTO ${c.desirable} desirable / ${c.undesirable} undesirable`,
        v.ok ? 'pre-flight validation: ok' : `pre-flight validation: ${v.errorCount} problems\n${v.errors.slice(0, 20).join('\n')}`,
        ...v.warnings.map((w) => `warning: ${w}`),
      ].join('\n');
      emit(io, bundle, text);
      if (!v.ok) process.exitCode = 1;
    },
  },
];
