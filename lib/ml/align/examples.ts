/**
 * Which training examples a project's comparisons give each kind of loss:
 * - paired losses: every decisive comparison as (chosen, rejected); ties are left out;
 * - KTO (unpaired): chosen responses and both-good ties are desirable, rejected responses and both-bad
 *   ties undesirable — the thumbs-up / thumbs-down reading of pairwise labels;
 * - NPO: the undesirable samples only (the forget set).
 */
import type { LossType } from '../kinds';
import type { Sequence } from './sequences';
import type { PreferenceExample } from './train';

export type LabelledComparison<M> = { messages: M; chosen: string; rejected: string; tie: boolean; tieKind: 'both_good' | 'both_bad' | null };

export function alignmentExamples<M>(pairs: readonly LabelledComparison<M>[], losses: readonly LossType[], seq: (messages: M, response: string) => Sequence): PreferenceExample[] {
  const unpaired = losses.every((t) => t === 'kto' || t === 'npo');
  if (!unpaired) return pairs.filter((p) => !p.tie).map((p) => ({ chosen: seq(p.messages, p.chosen), rejected: seq(p.messages, p.rejected) }));
  const samples = pairs.flatMap((p) =>
    p.tie
      ? [p.chosen, p.rejected].map((r) => ({ sample: seq(p.messages, r), desirable: p.tieKind !== 'both_bad' }))
      : [
          { sample: seq(p.messages, p.chosen), desirable: true },
          { sample: seq(p.messages, p.rejected), desirable: false },
        ],
  );
  return losses.includes('npo') ? samples.filter((s) => !s.desirable) : samples;
}
