export function Forbidden({ what }: { what: string }) {
  return (
    <div role="alert" className="rounded-lg border border-rose-200 bg-rose-50 p-6">
      <h1 className="text-lg font-semibold text-rose-800">Access denied</h1>
      <p className="mt-1 text-sm text-rose-700">{what}</p>
    </div>
  );
}
