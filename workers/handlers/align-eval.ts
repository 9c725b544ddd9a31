/**
 * The parts of align-policy that sample from the policy: the evaluation at the end (the SFT reference and
 * the aligned policy side by side on held-out prompts; win rate and best-of-n judged by a reward model)
 * and the candidates of an iterative round (written back to the project, then judged by the reward model
 * or left to annotators).
 */
import { addRoundCandidates, type AlignmentPair } from '@/db/queries/policies';
import { promptText } from '@/db/queries/reward-data';
import { getRewardModelForJob, readRewardModelFiles } from '@/db/queries/reward-models';
import { resolveCheckpoint } from '@/lib/checkpoints';
import type { JobPayload } from '@/lib/jobs/registry';
import type { Sequence } from '@/lib/ml/align/sequences';
import type { PreferenceExample } from '@/lib/ml/align/train';
import type { CausalLm } from '@/lib/ml/lm/causal-lm';
import { UNPAIRED, type EnsembleAggregation } from '@/lib/ml/kinds';
import { wilsonInterval } from '@/lib/stats/win-rates';
import type { ChatFormat } from '@/lib/ml/tokenizer/chat-format';
import type { TextTokenizer } from '@/lib/ml/tokenizer/hf-tokenizer';
import type { JobContext } from '../types';

type Payload = JobPayload<'align-policy'>;
type Judge = { score(prompt: AlignmentPair['messages'], responses: string[], aggregation?: EnsembleAggregation): number[]; kind: string; dispose(): void };

/** The reward model as a judge of (prompt, responses): scalar rewards (GPM: mean win probability against the others). */
async function openJudge(rewardModelId: number): Promise<Judge> {
  const { loadScorer } = await import('@/lib/ml/load-model');
  const saved = await readRewardModelFiles(await getRewardModelForJob(rewardModelId));
  const loaded = loadScorer(saved, (name) => resolveCheckpoint(name));
  return {
    kind: loaded.scorer.config.kind,
    score(messages, responses, aggregation) {
      const prompt = promptText(messages);
      const rows = responses.map((r) => loaded.featurize(prompt, r, messages));
      if (loaded.scorer.config.kind !== 'gpm') return Array.from(loaded.scorer.rewards(rows, aggregation));
      return rows.map((_, i) => {
        const others = rows.filter((__, j) => j !== i);
        if (!others.length) return 0.5;
        const p = loaded.scorer.preferences(others.map(() => rows[i]!), others);
        return p.reduce((s, x) => s + x, 0) / p.length;
      });
    },
    dispose: () => loaded.dispose(),
  };
}

/**
 * How the evaluation and a round's candidates sample: the run's settings as parsed (temperature 0 stays 0,
 * greedy), with new tokens capped so at least 8 positions of the policy's window are left for the prompt.
 */
export function samplingOptions(payload: Payload, nPositions: number): { temperature: number; topP: number; topK: number; maxNewTokens: number } {
  return { temperature: payload.temperature, topP: payload.topP, topK: payload.topK, maxNewTokens: Math.min(payload.maxNewTokens, nPositions - 8) };
}

/** The prompt's ids in the policy's chat format, keeping the last `room` tokens. */
const promptIds = (chat: ChatFormat, messages: AlignmentPair['messages'], room: number) => chat.promptIds(messages).slice(-Math.max(1, room));

export async function evaluatePolicy(payload: Payload, policy: CausalLm, reference: CausalLm, tok: TextTokenizer, chat: ChatFormat, evalPrompts: AlignmentPair['messages'][], ctx: JobContext) {
  const { generate } = await import('@/lib/ml/align/generate');
  const { bestOfNKl } = await import('@/lib/ml/align/chat');
  const sampling = samplingOptions(payload, policy.contextLength);
  const room = policy.contextLength - sampling.maxNewTokens;
  const samples = evalPrompts.map((messages, k) => {
    ctx.signal.throwIfAborted();
    const ids = promptIds(chat, messages, room);
    const [ref] = generate(reference, ids, 1, chat.stopIds, { ...sampling, seed: payload.seed * 1000 + k });
    const [pol] = generate(policy, ids, 1, chat.stopIds, { ...sampling, seed: payload.seed * 1000 + k });
    return { prompt: messages.at(-1)?.content ?? '', messages, reference: tok.decode(ref!).trim(), policy: tok.decode(pol!).trim() };
  });
  if (payload.rewardModelId === undefined || samples.length === 0) return { samples: samples.map(({ messages: _m, ...s }) => s), winRate: null, bestOfN: null };
  await ctx.reportProgress(0.92, `Judging with reward model ${payload.rewardModelId}`);
  const judge = await openJudge(payload.rewardModelId);
  try {
    let wins = 0;
    let ties = 0;
    let soft = 0;
    const judged = samples.map((s) => {
      const [rRef, rPol] = judge.score(s.messages, [s.reference, s.policy]);
      wins += rPol! > rRef! ? 1 : rPol === rRef ? 0.5 : 0;
      if (rPol === rRef) ties++;
      soft += 1 / (1 + Math.exp(-(rPol! - rRef!)));
      return { prompt: s.prompt, reference: s.reference, policy: s.policy, rewardReference: +rRef!.toFixed(4), rewardPolicy: +rPol!.toFixed(4) };
    });
    // Best-of-n from the policy, picked by the reward model under each aggregation an ensemble offers.
    const n = payload.bestOfN;
    const aggregations: EnsembleAggregation[] = judge.kind === 'ensemble' ? ['mean', 'worst-case', 'uncertainty-weighted'] : ['mean'];
    const picked: Record<string, number[]> = Object.fromEntries(aggregations.map((a) => [a, []]));
    const single: number[] = [];
    samples.forEach((s, k) => {
      ctx.signal.throwIfAborted();
      const candidates = generate(policy, promptIds(chat, s.messages, room), n, chat.stopIds, { ...sampling, seed: payload.seed * 7919 + k }).map((c) => tok.decode(c).trim());
      const byMean = judge.score(s.messages, candidates, 'mean');
      single.push(byMean.reduce((a, b) => a + b, 0) / byMean.length);
      for (const a of aggregations) {
        const scores = a === 'mean' ? byMean : judge.score(s.messages, candidates, a);
        const best = scores.indexOf(Math.max(...scores));
        picked[a]!.push(byMean[best]!);
      }
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    return {
      samples: judged,
      // Wilson's 95% interval, ties as half a win: with a few prompts the interval, not the rate, is the finding.
      winRate: { rewardModelId: payload.rewardModelId, prompts: judged.length, winRate: wins / judged.length, interval: wilsonInterval(wins, judged.length), ties, meanPreference: soft / judged.length },
      bestOfN: { n, analyticKl: +bestOfNKl(n).toFixed(4), meanRewardOfOneSample: mean(single), meanRewardOfBest: Object.fromEntries(aggregations.map((a) => [a, mean(picked[a]!)])) },
    };
  } finally {
    judge.dispose();
  }
}

/**
 * One iterative round: k candidates per prompt from the current policy, written to the project as this
 * round's dataset version; judged by the reward model (best vs worst become the round's pairs, with SPPO
 * win rates P̂(y_i ≻ π_t) = mean_j σ(s_i − s_j)) or added as items for annotators.
 */
export async function runRound(
  payload: Payload,
  round: number,
  policy: CausalLm,
  tok: TextTokenizer,
  chat: ChatFormat,
  train: readonly AlignmentPair[],
  seq: (messages: AlignmentPair['messages'], response: string) => Sequence,
  ctx: JobContext,
): Promise<{ examples: PreferenceExample[]; log: Record<string, unknown> }> {
  const { generate } = await import('@/lib/ml/align/generate');
  const prompts = new Map<number, AlignmentPair['messages']>();
  for (const p of train) if (!prompts.has(p.promptId)) prompts.set(p.promptId, p.messages);
  const all = [...prompts];
  const offset = ((round - 2) * payload.roundPrompts) % Math.max(all.length, 1);
  const chosen = [...all.slice(offset), ...all.slice(0, offset)].slice(0, payload.roundPrompts);
  const sampling = samplingOptions(payload, policy.contextLength);
  await ctx.reportProgress(0.3, `Round ${round}: sampling ${payload.roundCandidates} candidates for ${chosen.length} prompts`);
  const rows = chosen.map(([promptId, messages], k) => {
    ctx.signal.throwIfAborted();
    const ids = promptIds(chat, messages, policy.contextLength - sampling.maxNewTokens);
    const candidates = generate(policy, ids, payload.roundCandidates, chat.stopIds, { ...sampling, seed: payload.seed * 100_003 + round * 1009 + k });
    return { promptId, messages, responses: candidates.map((c) => tok.decode(c).trim()) };
  });
  if (payload.roundJudge === 'annotators') {
    const written = await addRoundCandidates(payload.projectId, payload.modelId, round, rows, null);
    ctx.log(`round ${round}: ${written.responses} candidates added as ${written.items} items for annotation`);
    return { examples: [], log: { round, judge: 'annotators', prompts: rows.length, ...written } };
  }
  const judge = await openJudge(payload.rewardModelId!);
  const unpaired = payload.loss.every((t) => UNPAIRED.includes(t));
  const examples: PreferenceExample[] = [];
  const pairs: [number, number][][] = [];
  try {
    rows.forEach((r) => {
      const s = judge.score(r.messages, r.responses);
      const best = s.indexOf(Math.max(...s));
      const worst = s.indexOf(Math.min(...s));
      if (best === worst || r.responses[best] === r.responses[worst] || !r.responses[best] || !r.responses[worst]) {
        pairs.push([]);
        return;
      }
      pairs.push([[best, worst]]);
      const winRate = (i: number) => s.reduce((acc, x) => acc + 1 / (1 + Math.exp(-(s[i]! - x))), 0) / s.length;
      if (unpaired) examples.push({ sample: seq(r.messages, r.responses[best]!), desirable: true }, { sample: seq(r.messages, r.responses[worst]!), desirable: false });
      else examples.push({ chosen: seq(r.messages, r.responses[best]!), rejected: seq(r.messages, r.responses[worst]!), pW: winRate(best), pL: winRate(worst) });
    });
  } finally {
    judge.dispose();
  }
  const written = await addRoundCandidates(payload.projectId, payload.modelId, round, rows, { pairs });
  ctx.log(`round ${round}: ${written.responses} candidates, ${written.comparisons} judged pairs (group round:${payload.modelId}:${round})`);
  if (examples.length === 0) throw new Error(`round ${round}: the reward model could not separate any candidates`);
  return { examples, log: { round, judge: 'reward-model', rewardModelId: payload.rewardModelId, prompts: rows.length, ...written } };
}
