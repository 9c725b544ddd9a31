/**
 * Online Elo, Chatbot Arena's baseline (`elo_rating_online`): battles in time order, K = 4, base 10,
 * scale 400, initial 1000, a tie scores ½. Shown beside Bradley–Terry, not instead of it: it depends
 * on the order of the battles.
 */
import type { BattleTable } from './battles';

export type EloOptions = { k?: number; scale?: number; base?: number; initial?: number };

export function onlineElo(table: BattleTable, options: EloOptions = {}): Float64Array {
  const k = options.k ?? 4;
  const scale = options.scale ?? 400;
  const base = options.base ?? 10;
  const ratings = new Float64Array(table.systems.length).fill(options.initial ?? 1000);
  for (let n = 0; n < table.a.length; n++) {
    const a = table.a[n]!;
    const b = table.b[n]!;
    const expectedA = 1 / (1 + base ** ((ratings[b]! - ratings[a]!) / scale));
    const delta = k * (table.y[n]! - expectedA);
    ratings[a]! += delta;
    ratings[b]! -= delta;
  }
  return ratings;
}
