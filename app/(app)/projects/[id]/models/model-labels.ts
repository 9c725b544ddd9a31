/** How the Models pages name a reward model and read its evaluation (shared by the server page and the client view). */

/** The kind as the researcher chose it: the loss family, and the tower or featurizer that sets it apart. */
export function kindLabel(m: { kind: string; config: Record<string, unknown> }): string {
  const c = m.config as { hidden?: number; members?: number; featurizer?: string; checkpoint?: string; loraRank?: number };
  const parts = [m.kind === 'ensemble' ? `ensemble ×${c.members ?? 5}` : m.kind];
  if (c.featurizer === 'fine-tune') parts.push(`fine-tuned ${c.checkpoint}${c.loraRank ? `, LoRA r ${c.loraRank}` : ''}`);
  else if (c.featurizer === 'transformer') parts.push('transformer encoder');
  else if (c.featurizer === 'checkpoint') parts.push(`on ${c.checkpoint}'s states`);
  if (c.hidden) parts.push(`MLP, hidden ${c.hidden}`);
  return parts.join(' · ');
}

/** Whether a ready model does worse on its held-out pairs than "the longer response wins". */
export const belowBaseline = (m: { metrics: Record<string, unknown> | null }) => {
  const metrics = m.metrics as { evaluation?: { accuracy?: number | null }; baseline?: { accuracy?: number | null } } | null;
  const [ours, baseline] = [metrics?.evaluation?.accuracy, metrics?.baseline?.accuracy];
  return typeof ours === 'number' && typeof baseline === 'number' && ours < baseline;
};
