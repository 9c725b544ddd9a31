'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Button, ErrorText } from '@/app/_components/ui';
import { startRecomputeStats } from '../actions';

export function RecomputeStatsButton({ projectId }: { projectId: number }) {
  const router = useRouter();
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  return (
    <div className="space-y-2">
      <Button
        disabled={pending}
        onClick={async () => {
          setPending(true);
          const result = await startRecomputeStats({ projectId });
          setPending(false);
          if (!result.ok) return setError(result.error);
          router.push(`/jobs/${result.data.jobId}`);
        }}
      >
        Recompute statistics
      </Button>
      <ErrorText>{error}</ErrorText>
    </div>
  );
}
