import { z } from 'zod';
import { CLI_ACTOR } from '@/lib/auth/access';
import { addProjectMemberByEmail, createProject, getProjectForActor, listProjectsForActor } from '@/db/queries/projects';
import { memberRoleSchema } from '@/lib/auth/schemas';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';

export const projectCommands: Command[] = [
  {
    name: 'project list',
    usage: 'project list [--json]',
    summary: 'list projects with their counts',
    run: async (_args, io) => {
      const projects = await listProjectsForActor(CLI_ACTOR);
      const rows = projects.map((p) => ({ id: p.id, name: p.name, prompts: p.counts.prompts, items: p.counts.items, judgments: p.counts.judgments }));
      emit(io, projects, table(rows, ['id', 'name', 'prompts', 'items', 'judgments']));
    },
  },
  {
    name: 'project create',
    usage: 'project create --name <name> [--description <text>] [--overlap <n>] [--json]',
    summary: 'create a pairwise project and print it with its id',
    options: { name: { type: 'string' }, description: { type: 'string' }, overlap: { type: 'string' } },
    run: async ({ values }, io) => {
      const overlap = values.overlap === undefined ? undefined : parseValue(z.coerce.number().int().min(1).max(20), values.overlap, '--overlap');
      const project = await createProject(CLI_ACTOR, {
        name: requireValue(values, 'name'),
        description: typeof values.description === 'string' ? values.description : '',
        settings: overlap === undefined ? undefined : { overlap },
      });
      emit(io, project, `created project ${project.id}: ${project.name}`);
    },
  },
  {
    name: 'project show',
    usage: 'project show <id> [--json]',
    summary: 'one project: settings, counts and the latest statistics',
    run: async ({ positionals }, io) => {
      const id = parseValue(idSchema, positionals[0], 'project id');
      const p = await getProjectForActor(CLI_ACTOR, id);
      const systems = p.stats ? `\n\n${table(p.stats.systems.map((s) => ({ system: s.system, battles: s.battles, 'win rate': s.winRate.toFixed(3) })), ['system', 'battles', 'win rate'])}` : '\n\n(no statistics yet: arbiter stats recompute --project ' + id + ')';
      emit(io, p, `#${p.id} ${p.name}\n${p.description}\nprompts ${p.counts.prompts}, responses ${p.counts.responses}, items ${p.counts.items}, judgments ${p.counts.judgments}${systems}`);
    },
  },
  {
    name: 'project add-member',
    usage: 'project add-member <id> --user <email> [--role annotator|researcher] [--json]',
    summary: 'add an existing user to a project (annotators see only their projects)',
    options: { user: { type: 'string' }, role: { type: 'string' } },
    run: async ({ values, positionals }, io) => {
      const projectId = parseValue(idSchema, positionals[0], 'project id');
      const role = values.role === undefined ? 'annotator' : parseValue(memberRoleSchema, values.role, '--role');
      const member = await addProjectMemberByEmail(CLI_ACTOR, projectId, { email: requireValue(values, 'user'), role });
      emit(io, member, `${member.email} is now ${member.role} of project ${projectId}`);
    },
  },
];
