'use client';
import { LORA_TARGETS } from '@/lib/jobs/lora-settings';

/** The projections a LoRA adapter trains on: one checkbox each (PEFT's target_modules). */
export function LoraTargetsField({ value, onChange, disabled = false, className = '' }: { value: readonly string[]; onChange: (targets: string[]) => void; disabled?: boolean; className?: string }) {
  return (
    <div className={`text-sm ${className}`} role="group" aria-label="LoRA target modules">
      <span className="mb-1 block font-medium text-slate-700">LoRA target modules (attention and MLP projections)</span>
      <div className="flex flex-wrap gap-3">
        {LORA_TARGETS.map((t) => (
          <label key={t} className="flex items-center gap-1 font-mono text-xs">
            <input type="checkbox" disabled={disabled} checked={value.includes(t)} onChange={(e) => onChange(e.target.checked ? [...value, t] : value.filter((x) => x !== t))} />
            {t}
          </label>
        ))}
      </div>
    </div>
  );
}
