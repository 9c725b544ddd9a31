import Link from 'next/link';
import type { ReactNode } from 'react';
import { ProjectTabs } from './project-tabs';

/** The top of a project's sub-page: the project's tabs, a link back to the project, the page title, an optional line under it. */
export function ProjectPageHeader({ project, title, children }: { project: { id: number; name: string; canManage: boolean }; title: string; children?: ReactNode }) {
  return (
    <div className="space-y-2">
      <ProjectTabs projectId={project.id} canManage={project.canManage} />
      <div>
        <Link className="text-sm text-indigo-700 underline" href={`/projects/${project.id}`}>
          {project.name}
        </Link>
        <h1 className="text-2xl font-semibold">{title}</h1>
        {children ? <p className="text-sm text-slate-600">{children}</p> : null}
      </div>
    </div>
  );
}
