'use client';
import { useRouter } from 'next/navigation';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText, Field } from '@/app/_components/ui';
import { createProjectAction } from './actions';

export function CreateProjectForm() {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  return (
    <form
      className="grid gap-3 md:grid-cols-[2fr_3fr_1fr_auto] md:items-end"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        void submit(async () => {
          const result = await createProjectAction({ name: String(form.get('name') ?? ''), description: String(form.get('description') ?? ''), overlap: String(form.get('overlap') ?? '1') });
          if (!result.ok) return result.error;
          router.push(`/projects/${result.data.id}`);
        });
      }}
    >
      <Field label="Name" name="name" required maxLength={120} />
      <Field label="Description" name="description" maxLength={2000} />
      <Field label="Overlap" name="overlap" type="number" min={1} max={20} defaultValue={1} />
      <Button type="submit" disabled={pending}>
        Create project
      </Button>
      <div className="md:col-span-4">
        <ErrorText>{error}</ErrorText>
      </div>
    </form>
  );
}
