'use client';
import { Button } from '@/app/_components/ui';

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 p-6">
      <h1 className="text-lg font-semibold text-rose-800">Something went wrong</h1>
      <p className="mt-1 mb-4 text-sm text-rose-700">The error was logged on the server.</p>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}
