'use client';
import { useRouter } from 'next/navigation';
import { useSubmit } from '@/app/_lib/use-submit';
import { ErrorText } from '@/app/_components/ui';
import { setGoldAction } from '../../actions';

const OPTIONS = [
  { value: 'none', label: 'not gold' },
  { value: 'a', label: 'gold: first better' },
  { value: 'b', label: 'gold: second better' },
  { value: 'tie', label: 'gold: tie' },
  { value: 'both_bad', label: 'gold: both bad' },
];

/** Marks a pair as gold with its known answer (first/second = the item's stored order, not what annotators see). */
export function GoldSelect({ projectId, itemId, value }: { projectId: number; itemId: number; value: string }) {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  return (
    <span>
      <select
        aria-label={`Gold answer for item ${itemId}`}
        disabled={pending}
        defaultValue={value}
        className="rounded border border-slate-300 px-1 py-0.5 text-xs"
        onChange={(e) => {
          const answer = e.target.value;
          void submit(async () => {
            const result = await setGoldAction({ projectId, itemId, answer });
            if (!result.ok) return result.error;
            router.refresh();
          });
        }}
      >
        {OPTIONS.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorText>{error}</ErrorText>
    </span>
  );
}
