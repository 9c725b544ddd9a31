/**
 * Where each artifact lives in the store. Every file a job writes goes under a prefix of its attempt (the
 * job's attempt number at its claim, the fencing token of its lease), and the row that publishes it names
 * that prefix: a worker that wakes after its job was requeued and taken by another (SIGSTOP, a partition)
 * writes beside the new owner's files, never over them, and nothing reads its files, since its publishing
 * write is refused (JobContext.fenced).
 *
 *   models/<model id>/job<job id>-a<attempt>/model.json, weights.bin          a reward model (models.artifact_path = the prefix)
 *   models/<model id>/job<job id>-a<attempt>/checkpoints/<tag>-<name>         its training checkpoints' files, a fresh key each
 *   models/<policy id>/job<job id>-a<attempt>/policy/…                        a policy as a Hugging Face checkpoint (artifact_path)
 *   models/<policy id>/job<job id>-a<attempt>/rounds/round-<r>.safetensors    its iterative rounds' weights
 *   models/<policy id>/job<job id>-a<attempt>/checkpoints/<tag>-<name>        its training state while the run lasts
 *   exports/<job id>/a<attempt>/…                                             an export's files (the job's result names the prefix)
 *   scores/inputs/<uuid>.json                                                 records a score call left for a worker (the job's payload names it)
 *   scores/<job id>/a<attempt>/scores.json                                    a scoring job's report (the job's result names it)
 *
 * Installs from before the store keep `models/<id>/` (files directly in it), `exports/<job id>/` and
 * `scores/<job id>/scores.json`, which rows and results written then still name (or imply), so they stay readable.
 */
import crypto from 'node:crypto';

/** The folder of one model or policy: every attempt of its job writes under it. */
export const modelRoot = (modelId: number) => `models/${modelId}`;

export const modelAttemptPrefix = (modelId: number, jobId: number, attempt: number) => `${modelRoot(modelId)}/job${jobId}-a${attempt}`;

export const exportRoot = (jobId: number) => `exports/${jobId}`;

export const exportAttemptPrefix = (jobId: number, attempt: number) => `${exportRoot(jobId)}/a${attempt}`;

export const scoreRoot = (jobId: number) => `scores/${jobId}`;

export const scoreReportKey = (jobId: number, attempt: number) => `${scoreRoot(jobId)}/a${attempt}/scores.json`;

/** A fresh key for the records of a score call: written before its job exists, and named in the job's payload. */
export const scoreInputKey = () => `scores/inputs/${crypto.randomUUID()}.json`;

/** A short random tag, so that two runs sharing an attempt number (a run released on shutdown hands its number to the next) never write one key twice. */
export const freshTag = () => crypto.randomBytes(4).toString('hex');

/**
 * The attempt a folder directly under a job's root belongs to: `job<id>-a<n>` (models) or `a<n>` (exports,
 * scores, whose root is the job's); null for anything else (an install's files from before the store).
 */
export function attemptOfSegment(segment: string, jobId: number): number | null {
  const match = /^(?:job(\d+)-)?a(\d+)$/.exec(segment);
  if (!match || (match[1] !== undefined && Number(match[1]) !== jobId)) return null;
  return Number(match[2]);
}
