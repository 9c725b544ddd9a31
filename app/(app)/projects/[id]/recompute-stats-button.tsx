'use client';
import { useRouter } from 'next/navigation';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText } from '@/app/_components/ui';
import { startRecomputeStats } from '../actions';

export function RecomputeStatsButton({ projectId }: { projectId: number }) {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  return (
    <div className="space-y-2">
      <Button
        disabled={pending}
        onClick={() =>
          void submit(async () => {
            const result = await startRecomputeStats({ projectId });
            if (!result.ok) return result.error;
            router.push(`/jobs/${result.data.jobId}`);
          })
        }
      >
        Recompute statistics
      </Button>
      <ErrorText>{error}</ErrorText>
    </div>
  );
}
