'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ProjectSettings } from '@/lib/projects/settings';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText } from '@/app/_components/ui';
import { updateSettingsAction } from '../../actions';

const TASKS = [
  { value: 'pairwise', label: 'Pairwise (two responses)' },
  { value: 'ranking', label: 'Ranking (3–9 responses, ties allowed)' },
  { value: 'rating', label: 'Attribute ratings (0–4 per response)' },
] as const;

const input = 'w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm';

export function SettingsForm({ projectId, settings }: { projectId: number; settings: ProjectSettings }) {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="grid gap-4 md:grid-cols-2"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        setSaved(false);
        void submit(async () => {
          const result = await updateSettingsAction({
            projectId,
            tasks: form.getAll('tasks').map(String) as ('pairwise' | 'ranking' | 'rating')[],
            rankingSize: String(form.get('rankingSize')),
            overlap: String(form.get('overlap')),
            strengthScale: String(form.get('strengthScale')) as ProjectSettings['strengthScale'],
            justification: String(form.get('justification')) as ProjectSettings['justification'],
            attributes: String(form.get('attributes') ?? ''),
            goldRatePercent: String(form.get('goldRatePercent')),
            repeatRatePercent: String(form.get('repeatRatePercent')),
            randomizeSides: form.get('randomizeSides') === 'on',
            assignmentOrder: String(form.get('assignmentOrder')) as ProjectSettings['assignmentOrder'],
            leaseMinutes: String(form.get('leaseMinutes')),
            activeLearning: String(form.get('activeLearning')) as ProjectSettings['activeLearning'],
          });
          if (!result.ok) return result.error;
          setSaved(true);
          router.refresh();
        });
      }}
    >
      <fieldset className="space-y-1 text-sm md:col-span-2">
        <legend className="mb-1 font-medium text-slate-700">Task kinds (combine them on one screen)</legend>
        {TASKS.map((t) => (
          <label key={t.value} className="mr-4 inline-flex items-center gap-1">
            <input type="checkbox" name="tasks" value={t.value} defaultChecked={settings.tasks.includes(t.value)} /> {t.label}
          </label>
        ))}
      </fieldset>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Annotations per item (overlap)</span>
        <input className={input} name="overlap" type="number" min={1} max={20} defaultValue={settings.overlap} />
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Responses per ranking item</span>
        <input className={input} name="rankingSize" type="number" min={3} max={9} defaultValue={settings.rankingSize} />
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Preference strength</span>
        <select className={input} name="strengthScale" defaultValue={settings.strengthScale}>
          <option value="off">off</option>
          <option value="3">3-point (slightly / clearly / much better)</option>
          <option value="7">7-point line (−3 … +3)</option>
        </select>
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Justification</span>
        <select className={input} name="justification" defaultValue={settings.justification}>
          <option value="off">off</option>
          <option value="optional">optional</option>
          <option value="required">required</option>
        </select>
      </label>
      <label className="text-sm md:col-span-2">
        <span className="mb-1 block font-medium text-slate-700">Attributes to rate 0–4 (comma-separated, e.g. helpfulness, correctness, coherence, complexity, verbosity)</span>
        <input className={input} name="attributes" defaultValue={settings.attributes.join(', ')} />
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Gold items served (% of items, 0–50)</span>
        <input className={input} name="goldRatePercent" type="number" min={0} max={50} step={1} defaultValue={Math.round(settings.goldRate * 100)} />
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Answered pairs served again, sides flipped (% of leases, 0–20)</span>
        <input className={input} name="repeatRatePercent" type="number" min={0} max={20} step={1} defaultValue={Math.round(settings.repeatRate * 100)} />
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Assignment order</span>
        <select className={input} name="assignmentOrder" defaultValue={settings.assignmentOrder}>
          <option value="least-annotated">least annotated first</option>
          <option value="random">random</option>
          <option value="fixed">fixed (import order)</option>
        </select>
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Active learning (serve the most uncertain items first)</span>
        <select className={input} name="activeLearning" defaultValue={settings.activeLearning}>
          <option value="off">off</option>
          <option value="ensemble-disagreement">after each ensemble fit: by its members&apos; disagreement</option>
          <option value="gpm-uncertainty">after each GPM fit: by its uncertainty</option>
        </select>
      </label>
      <label className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Lease (minutes before an abandoned item returns)</span>
        <input className={input} name="leaseMinutes" type="number" min={1} max={1440} defaultValue={settings.leaseMinutes} />
      </label>
      <label className="inline-flex items-center gap-2 self-end text-sm">
        <input type="checkbox" name="randomizeSides" defaultChecked={settings.randomizeSides} /> Randomise sides per annotator
      </label>
      <div className="flex items-center gap-3 md:col-span-2">
        <Button type="submit" disabled={pending}>
          Save settings
        </Button>
        {saved ? <span role="status" className="text-sm text-emerald-700">Saved.</span> : null}
        <ErrorText>{error}</ErrorText>
      </div>
    </form>
  );
}
