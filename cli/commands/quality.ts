import { getProjectForActor } from '@/db/queries/projects';
import { listPairwiseJudgments, listRatingRows, listRepeatPairs } from '@/db/queries/quality';
import { ratingsAgreement } from '@/lib/stats/ratings-agreement';
import { selfConsistency } from '@/lib/stats/self-consistency';
import { CLI_ACTOR } from '@/lib/auth/access';
import { qualityReport } from '@/lib/stats/quality-report';
import { AppError } from '@/lib/errors';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';

const f = (x: number | null, digits = 3) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));
const p = (x: number) => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4));

export const qualityCommands: Command[] = [
  {
    name: 'quality',
    usage: 'quality --project <id> [--json]',
    summary: "annotator agreement (Krippendorff's α, Fleiss' and Cohen's κ), position and length bias, intransitivity",
    options: { project: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const project = await getProjectForActor(CLI_ACTOR, projectId);
      const judgments = await listPairwiseJudgments(projectId);
      const ratingRows = await listRatingRows(projectId);
      const ratings = ratingRows.length ? ratingsAgreement(ratingRows, project.settings.attributes.length ? project.settings.attributes : [...new Set(ratingRows.flatMap((x) => Object.keys(x.ratings)))]) : [];
      if (judgments.length === 0 && ratings.length === 0) throw new AppError('usage', `project ${projectId} has no pairwise judgments or ratings yet`);
      const ratingsText = ratings.length
        ? `\n\nRatings agreement per attribute (0–4)\n${table(
            ratings.map((a) => ({ attribute: a.attribute, ratings: a.ratings, mean: f(a.mean, 2), 'α ordinal': f(a.alphaOrdinal), 'Fleiss κ': f(a.fleissKappa) })),
            ['attribute', 'ratings', 'mean', 'α ordinal', 'Fleiss κ'],
          )}`
        : '';
      if (judgments.length === 0) {
        emit(io, { project: { id: project.id, name: project.name }, ratings }, `${project.name}: no pairwise judgments${ratingsText}`);
        return;
      }
      const r = qualityReport(judgments);
      const repeats = selfConsistency(await listRepeatPairs(projectId));
      const a = r.agreement;
      const lines = [
        `${project.name}: ${r.judgments} pairwise judgments by ${r.annotators} annotators`,
        '',
        `Agreement   Krippendorff α (choice, nominal) ${f(a.alphaChoice)} · α (signed strength, ordinal) ${f(a.alphaStrength)} · Fleiss κ ${f(a.fleissKappa)} over ${a.fleissItems} items`,
        `Position    left side won ${f(r.positionBias.share * 100, 1)}% of ${r.positionBias.decisive} decisive judgments (binomial p = ${p(r.positionBias.pValue)})`,
        `Length      longer response won ${f(r.lengthBias.share * 100, 1)}% of ${r.lengthBias.decisive} (p = ${p(r.lengthBias.pValue)})`,
        `Cycles      majority 3-cycles: ${r.majorityCycles.cyclic} of ${r.majorityCycles.triads} fully judged triads`,
        `Repeats     ${repeats.repeats ? `same answer on ${f(repeats.rate * 100, 1)}% of ${repeats.repeats} pairs judged again with sides flipped (${repeats.reversed} decisive answers reversed)` : 'no pairs judged again yet (project setting repeatRate)'}`,
        '',
        table(
          r.perAnnotator.map((x) => {
            const ds = r.reliability?.annotators.find((a) => a.annotator === x.annotator);
            return { annotator: x.annotator, judgments: x.judgments, 'left wins': f(x.leftShare * 100, 1) + '%', 'cyclic triads': `${x.cycles.cyclic}/${x.cycles.triads}`, 'DS accuracy': ds ? f(ds.accuracy * 100, 1) + '%' : '–', 'DS weight': ds ? f(ds.weight, 2) : '–' };
          }),
          ['annotator', 'judgments', 'left wins', 'cyclic triads', 'DS accuracy', 'DS weight'],
        ),
      ];
      if (a.cohen.length > 0) lines.push('', table(a.cohen.map((c) => ({ pair: `${c.a} × ${c.b}`, 'shared items': c.items, "Cohen's κ": f(c.kappa) })), ['pair', 'shared items', "Cohen's κ"]));
      emit(io, { project: { id: project.id, name: project.name }, ...r, selfConsistency: repeats, ratings }, lines.join('\n') + ratingsText);
    },
  },
];
