/** Where one file of a finished export downloads from (or, with no file, the zip of them all). */
export const exportDownloadHref = (projectId: number, jobId: number, file?: string) => `/api/v1/projects/${projectId}/exports/${jobId}/download${file ? `?file=${encodeURIComponent(file)}` : ''}`;

/**
 * A finished export's downloads: the zip of every file, then each file (the dataset card first). One list for
 * the Export page's result, its history and the job page; `inline` lays it out on one line (a table cell).
 */
export function ExportDownloads({ projectId, jobId, files, inline = false }: { projectId: number; jobId: number; files: readonly string[]; inline?: boolean }) {
  const ordered = [...files].sort((a, b) => Number(b === 'README.md') - Number(a === 'README.md'));
  const name = (f: string) => (f === 'README.md' ? 'card' : f);
  if (inline) {
    return (
      <span className="flex flex-wrap gap-x-3">
        <a className="text-indigo-700 underline" href={exportDownloadHref(projectId, jobId)}>
          zip
        </a>
        {ordered.map((f) => (
          <a key={f} className="text-indigo-700 underline" href={exportDownloadHref(projectId, jobId, f)}>
            {name(f)}
          </a>
        ))}
      </span>
    );
  }
  return (
    <div className="space-y-1 text-sm">
      <p>
        <a className="font-medium text-indigo-700 underline" href={exportDownloadHref(projectId, jobId)}>
          Download all files (.zip)
        </a>
      </p>
      <ul className="space-y-1" aria-label="Files of this export">
        {ordered.map((f) => (
          <li key={f}>
            <a className="text-indigo-700 underline" href={exportDownloadHref(projectId, jobId, f)}>
              {f}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
