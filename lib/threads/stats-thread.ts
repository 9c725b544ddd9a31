/** Entry of the statistics worker thread (bundled by stats-pool.ts): runs bootstrap rounds on request. */
import { parentPort } from 'node:worker_threads';
import { btBootstrapRounds, type BtBootstrapInput } from '@/lib/stats/bt-leaderboard';

type Request = { id: number; input: BtBootstrapInput; next: Int32Array; rounds: number };

parentPort!.on('message', (request: Request) => {
  try {
    const result = btBootstrapRounds(request.input, request.next, request.rounds);
    parentPort!.postMessage({ id: request.id, ok: true, ...result });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
