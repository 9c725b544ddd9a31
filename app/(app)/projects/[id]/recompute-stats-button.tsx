'use client';
import { FollowedJobStatus, useFollowJob } from '@/app/_lib/use-follow-job';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText } from '@/app/_components/ui';
import { startRecomputeStats } from '../actions';

export function RecomputeStatsButton({ projectId }: { projectId: number }) {
  const { pending, error, submit } = useSubmit();
  const { job, follow } = useFollowJob();
  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  return (
    <div className="space-y-2">
      <Button
        disabled={pending || running}
        onClick={() =>
          void submit(async () => {
            const result = await startRecomputeStats({ projectId });
            if (!result.ok) return result.error;
            follow(result.data.jobId);
          })
        }
      >
        Recompute statistics
      </Button>
      <ErrorText>{error}</ErrorText>
      <FollowedJobStatus job={job} doneText="Statistics recomputed." />
    </div>
  );
}
