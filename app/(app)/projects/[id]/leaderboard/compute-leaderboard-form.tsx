'use client';
import { FollowedJobStatus, useFollowJob } from '@/app/_lib/use-follow-job';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText, Field, Select } from '@/app/_components/ui';
import { computeLeaderboardAction } from '../../actions';

const METHODS = [
  { value: 'bt', label: 'Bradley–Terry (Chatbot Arena)' },
  { value: 'style', label: 'Bradley–Terry with style control (length, markdown)' },
  { value: 'davidson', label: 'Davidson (models ties)' },
  { value: 'rao-kupper', label: 'Rao–Kupper (models ties)' },
  { value: 'pl', label: 'Plackett–Luce (rankings)' },
  { value: 'elo', label: 'Online Elo (baseline)' },
];

export function ComputeLeaderboardForm({ projectId }: { projectId: number }) {
  const { pending, error, submit } = useSubmit();
  const { job, follow } = useFollowJob();
  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  return (
    <form
      className="grid gap-3 md:grid-cols-[2fr_1fr_1fr_auto] md:items-end"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        void submit(async () => {
          const result = await computeLeaderboardAction({ projectId, method: String(form.get('method')), rounds: String(form.get('rounds')), seed: String(form.get('seed')) });
          if (!result.ok) return result.error;
          follow(result.data.jobId);
        });
      }}
    >
      <Select label="Method" name="method" options={METHODS} defaultValue="bt" />
      <Field label="Bootstrap rounds" name="rounds" type="number" min={0} max={2000} defaultValue={100} />
      <Field label="Seed" name="seed" type="number" min={0} defaultValue={0} />
      <Button type="submit" disabled={pending || running}>
        Compute leaderboard
      </Button>
      <div className="md:col-span-4">
        <ErrorText>{error}</ErrorText>
        <FollowedJobStatus job={job} doneText="Leaderboard computed; it is shown below." />
      </div>
    </form>
  );
}
