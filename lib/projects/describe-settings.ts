import type { ProjectSettings } from './settings';

const TASKS: Record<ProjectSettings['tasks'][number], string> = { pairwise: 'pairwise choice', ranking: 'ranking', rating: 'ratings' };
const percent = (x: number) => `${Math.round(x * 100)}%`;

/** A project's task settings as label/value lines a researcher reads at a glance (the overview page), not JSON. */
export function describeSettings(s: ProjectSettings): [label: string, value: string][] {
  const lines: [string, string][] = [];
  const tasks = s.tasks.map((t) => (t === 'ranking' ? `ranking of ${s.rankingSize} responses` : TASKS[t]));
  lines.push(['Task', tasks.join(' + ')]);
  lines.push(['Annotations per item', String(s.overlap)]);
  if (s.tasks.includes('pairwise')) {
    lines.push(['Strength', s.strengthScale === 'off' ? 'not asked' : s.strengthScale === '3' ? 'slightly / clearly / much (3-point)' : '−3 … +3 line (7-point)']);
    lines.push(['Justification', s.justification === 'off' ? 'not asked' : s.justification]);
  }
  if (s.attributes.length) lines.push(['Rated attributes (0–4)', s.attributes.join(', ')]);
  lines.push(['Gold items served', s.goldRate ? percent(s.goldRate) : 'none']);
  lines.push(['Repeats (self-consistency)', s.repeatRate ? percent(s.repeatRate) : 'none']);
  lines.push(['Sides', s.randomizeSides ? 'randomised' : 'as stored']);
  lines.push(['Order', { 'least-annotated': 'least-annotated first', random: 'random', fixed: 'fixed (import order)' }[s.assignmentOrder]]);
  lines.push(['Lease', `${s.leaseMinutes} min`]);
  lines.push(['Active learning', { off: 'off', 'ensemble-disagreement': "most uncertain first (ensemble's disagreement)", 'gpm-uncertainty': "most uncertain first (GPM's uncertainty)" }[s.activeLearning]]);
  return lines;
}
