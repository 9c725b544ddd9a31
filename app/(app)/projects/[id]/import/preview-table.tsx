import type { ImportedRow } from '@/lib/data/import-rows';

const clip = (s: string, n = 140) => (s.length > n ? `${s.slice(0, n)}…` : s);
const promptOf = (messages: { role: string; content: string }[]) => clip([...messages].reverse().find((m) => m.role === 'user')?.content ?? messages.at(-1)?.content ?? '');
const labelled = (r: { content: string; system: string }) => `${r.system ? `[${r.system}] ` : ''}${clip(r.content, 90)}`;

/** What one stored row holds, in words: the preference or the candidates, their systems, ties, strength, rankings. */
function describe(row: ImportedRow): { kind: string; detail: string } {
  switch (row.kind) {
    case 'comparison':
      return {
        kind: row.tie ? `tie (${row.tie === 'both_bad' ? 'both bad' : 'both good'})` : 'preference',
        detail: `${row.tie ? 'A' : 'chosen'}: ${labelled(row.chosen)} · ${row.tie ? 'B' : 'rejected'}: ${labelled(row.rejected)}${row.strength !== null ? ` · strength ${row.strength}` : ''}${row.annotator ? ` · by ${row.annotator}` : ''}`,
      };
    case 'candidates':
      return { kind: `${row.responses.length} candidates`, detail: row.responses.map(labelled).join(' · ') };
    case 'ranking':
      return { kind: `ranking of ${row.responses.length}`, detail: row.groups.map((g) => g.map((i) => labelled(row.responses[i]!)).join(' = ')).join(' > ') };
    case 'ratings':
      return { kind: 'ratings', detail: row.responses.map((r, i) => `${labelled(r)}: ${Object.entries(row.ratings[i] ?? {}).map(([a, v]) => `${a} ${v}`).join(', ')}`).join(' · ') };
  }
}

/** The first rows of a preview as they will be stored, as a table. */
export function PreviewTable({ rows }: { rows: ImportedRow[] }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-xs" aria-label="Preview of the first rows">
        <thead className="text-slate-500">
          <tr>
            <th className="py-1 pr-2">#</th>
            <th className="pr-2">Kind</th>
            <th className="pr-2">Prompt (last user turn)</th>
            <th>What is stored</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const { kind, detail } = describe(row);
            return (
              <tr key={i} className="border-t border-slate-100 align-top">
                <td className="py-1 pr-2">{i + 1}</td>
                <td className="pr-2 whitespace-nowrap">{kind}</td>
                <td className="pr-2">{promptOf(row.messages)}</td>
                <td>{detail}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
