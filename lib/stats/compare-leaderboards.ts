/**
 * Several leaderboard methods side by side (the Leaderboard page's "Compare methods" tab): each system's
 * rank and rating under each method, and how its rank moved against the first method (the reference,
 * Bradley–Terry when present, as Chatbot Arena reports it).
 */
export type MethodBoard = { method: string; rows: { system: string; rank: number; rating: number }[] };
export type ComparedCell = { rank: number; rating: number; /** rank under the reference − rank here: > 0 moved up */ moved: number | null } | null;
export type MethodComparison = { methods: string[]; systems: string[]; cells: ComparedCell[][] };

export function compareLeaderboards(boards: readonly MethodBoard[]): MethodComparison {
  if (boards.length === 0) return { methods: [], systems: [], cells: [] };
  const reference = boards[0]!;
  const inReference = new Set(reference.rows.map((r) => r.system));
  // The reference's order, then systems only other methods rank (e.g. Plackett–Luce's ranking-only systems), by name.
  const systems = [...[...reference.rows].sort((a, b) => a.rank - b.rank || b.rating - a.rating).map((r) => r.system), ...[...new Set(boards.flatMap((b) => b.rows.map((r) => r.system)))].filter((s) => !inReference.has(s)).sort()];
  const referenceRank = new Map(reference.rows.map((r) => [r.system, r.rank]));
  const cells = systems.map((system) =>
    boards.map((b, k) => {
      const row = b.rows.find((r) => r.system === system);
      if (!row) return null;
      const before = referenceRank.get(system);
      return { rank: row.rank, rating: row.rating, moved: k === 0 || before === undefined ? null : before - row.rank };
    }),
  );
  return { methods: boards.map((b) => b.method), systems, cells };
}
