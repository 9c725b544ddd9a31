import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { cli, progress, projectId, signIn } from './fixtures';

const judgmentsOf = (project: number, email: string) => {
  const rows = JSON.parse(cli('annotators', '--project', String(project), '--json')) as { email: string; judgments: number }[];
  return rows.find((r) => r.email === email)?.judgments ?? 0;
};

/** The annotator's latest answer in a project as the server stored it (responses in the order shown, its ranking and ratings). */
const latestAnswer = (page: Page, project: number) =>
  page.evaluate(async (id) => {
    const mine = (await (await fetch(`/api/v1/projects/${id}/judgments/mine`)).json()) as { history: { judgmentId: string }[] };
    const task = (await (await fetch(`/api/v1/projects/${id}/judgments/${mine.history[0]!.judgmentId}`)).json()) as {
      task: { responses: { id: number }[]; previous: { ranking: number[][]; ratings: Record<string, Record<string, number>> } };
    };
    return task.task;
  }, project);

test.describe('the annotation workbench', () => {
  test.beforeAll(() => {
    cli('user', 'create', '--email', 'pat@e2e.test', '--password', 'pat-password', '--name', 'Pat', '--role', 'annotator');
    const demo = projectId(/helpfulness of five/);
    const ranking = projectId(/rank and rate/);
    cli('project', 'add-member', String(demo), '--user', 'pat@e2e.test', '--role', 'annotator');
    cli('project', 'add-member', String(ranking), '--user', 'pat@e2e.test', '--role', 'annotator');
  });

  test('an annotator labels pairs by keyboard, revises an answer, and a retried or double-clicked submit is stored once', async ({ page }) => {
    const demo = projectId(/helpfulness of five/);
    await signIn(page, 'pat@e2e.test', 'pat-password');
    await page.getByRole('link', { name: /Demo: helpfulness of five assistants/ }).click();
    // An annotator's project tabs hold its two pages, and the researchers' settings are not shown.
    await expect(page.getByRole('navigation', { name: 'Project' }).getByRole('link')).toHaveText(['Overview', 'Annotate']);
    await expect(page.getByText('Task settings')).toHaveCount(0);
    await page.getByRole('link', { name: 'Start annotating' }).click();
    await expect(page.getByRole('region', { name: 'Response A' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Response B' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Guidelines' })).toContainText('How to judge');
    for (const name of ['A is better', 'B is better', 'Tie', 'Both bad', 'Submit', 'Skip']) await expect(page.getByRole('button', { name, exact: true })).toBeVisible();
    const start = await progress(page);
    expect(start.done).toBe(0);
    expect(start.remaining).toBeGreaterThan(3);

    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toHaveCount(0);

    // 1 = A is better: the 7-point line (the one strength control) selects nothing yet, not "0".
    await page.keyboard.press('1');
    await expect(page.getByRole('button', { name: 'A is better', exact: true })).toHaveAttribute('aria-pressed', 'true');
    const line = page.getByRole('radiogroup', { name: 'Preference on the 7-point scale' });
    await expect(line.getByRole('radio', { checked: true })).toHaveCount(0);
    await expect(page.getByRole('radiogroup', { name: 'How much better' })).toHaveCount(0);
    // Enter is refused, and says why beside the line; W (clearly) fixes it and the message goes.
    await page.keyboard.press('Enter');
    const strengthProblem = page.getByRole('alert').filter({ hasText: 'choose how much better' });
    await expect(strengthProblem).toBeVisible();
    await expect(page.getByText('1 thing left, marked above')).toBeVisible();
    await page.keyboard.press('w');
    await expect(line.getByRole('radio', { checked: true })).toHaveAccessibleName('A clearly better (-2)');
    await expect(strengthProblem).toHaveCount(0);
    await expect(page.getByText(/left, marked above/)).toHaveCount(0);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('progress-text')).toHaveText(`1 done · ${start.remaining - 1} remaining`);
    await expect(page.getByRole('region', { name: 'Your recent answers' })).toContainText('A is better (clearly)');
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(1);

    // S skips without storing anything.
    const before = await page.getByRole('region', { name: 'Response A' }).textContent();
    await page.keyboard.press('s');
    await expect(page.getByRole('region', { name: 'Response A' })).not.toHaveText(before ?? '');
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(1);

    // The first two submits never reach the server: the client retries with the same id, one judgment is stored.
    let aborted = 0;
    await page.route('**/api/v1/projects/*/judgments', async (route) => {
      if (aborted < 2) {
        aborted++;
        await route.abort('connectionreset');
      } else await route.continue();
    });
    await page.keyboard.press('3');
    await page.getByRole('button', { name: 'Submit', exact: true }).dblclick();
    await expect(page.getByTestId('progress-text')).toHaveText(/^2 done/);
    expect(aborted).toBe(2);
    await page.unroute('**/api/v1/projects/*/judgments');
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(2);

    // A double-click on Submit stores one judgment.
    await page.getByRole('button', { name: 'Both bad', exact: true }).click();
    await page.getByRole('button', { name: 'Submit', exact: true }).dblclick();
    await expect(page.getByTestId('progress-text')).toHaveText(/^3 done/);
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(3);

    // Revise the oldest answer from the history.
    const history = page.getByRole('region', { name: 'Your recent answers' });
    await history.getByRole('button', { name: /^Revise/ }).last().click();
    await expect(page.getByText('Revising your earlier answer.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'A is better', exact: true })).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('2');
    await page.keyboard.press('e');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect(page.getByText('Answer revised.')).toBeVisible();
    await expect(history).toContainText('B is better (much)');
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(3);
  });

  test('an answer that cannot be sent stays in the browser and is delivered later, never dropped', async ({ page }) => {
    const demo = projectId(/helpfulness of five/);
    await signIn(page, 'pat@e2e.test', 'pat-password');
    await page.goto(`/projects/${demo}/annotate`);
    await expect(page.getByRole('region', { name: 'Response A' })).toBeVisible();
    const count = judgmentsOf(demo, 'pat@e2e.test');
    await page.route('**/api/v1/projects/*/judgments', (route) => route.abort('connectionrefused'));
    await page.keyboard.press('4');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').filter({ hasText: 'Not saved yet' })).toBeVisible({ timeout: 20_000 });
    await expect(page.getByText(/1 answer waiting to be sent/)).toBeVisible();
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(count);
    await page.unroute('**/api/v1/projects/*/judgments');
    await page.reload();
    await expect(page.getByRole('region', { name: 'Your recent answers' })).toContainText('Both bad');
    expect(judgmentsOf(demo, 'pat@e2e.test')).toBe(count + 1);
  });

  test('hostile content renders as inert text; conversations and code render properly', async ({ page }) => {
    cli('project', 'create', '--name', 'Hostile content');
    const id = projectId(/^Hostile content$/);
    const file = path.resolve('tests/.tmp/hostile.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const row = {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'First question <img src=x onerror="window.__xss=1">' },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: 'Show me code' },
      ],
      responses: [
        { system: 'evil', content: 'Hi <script>window.__xss=2</script> and <img src=x onerror="window.__xss=3"> and [click me](javascript:window.__xss=4)' },
        { system: 'good', content: 'Here:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n| col | val |\n| --- | --- |\n| x | 1 |' },
      ],
    };
    fs.writeFileSync(file, `${JSON.stringify(row)}\n`);
    cli('items', 'add', '--project', String(id), file);
    page.on('dialog', () => {
      throw new Error('a dialog opened: hostile content ran');
    });
    await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
    // Hostile guidelines, written through the settings form like any researcher would.
    await page.goto(`/projects/${id}/settings`);
    await page.getByLabel(/^Guidelines \(markdown; version \d+\)/).fill('# Rules\n\n<script>window.__xss=5</script> and <img src=x onerror="window.__xss=6"> and [read me](javascript:window.__xss=7) and <iframe src="javascript:window.__xss=8"></iframe>');
    await page.getByRole('button', { name: 'Save guidelines' }).click();
    await expect(page.getByText(/Saved as version \d+\./)).toBeVisible();
    await page.goto(`/projects/${id}/annotate`);
    const guidelines = page.getByRole('region', { name: 'Guidelines' });
    await expect(guidelines).toContainText('<script>window.__xss=5</script>');
    await expect(guidelines).toContainText('<iframe src="javascript:window.__xss=8"></iframe>');
    expect(await guidelines.locator('script, img, iframe, [onerror], a[href^="javascript"]').count()).toBe(0);
    const conversation = page.getByRole('region', { name: 'Conversation' });
    await expect(conversation).toContainText('system');
    await expect(conversation).toContainText('First answer.');
    await expect(conversation).toContainText('<img src=x onerror="window.__xss=1">');
    const main = page.locator('form[aria-label="Annotation task"]');
    await expect(main).toContainText('<script>window.__xss=2</script>');
    await expect(main).toContainText('<img src=x onerror="window.__xss=3">');
    await expect(main.getByText('click me')).toBeVisible();
    expect(await main.locator('script, img, iframe, [onerror]').count()).toBe(0);
    expect(await main.locator('a[href^="javascript"]').count()).toBe(0);
    await main.getByText('click me').click();
    await expect(main.locator('pre code.language-python .hljs-keyword').first()).toHaveText('def');
    await expect(main.getByRole('table')).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  test('an annotator ranks four responses by keyboard and by dragging, with a tie, and rates each one', async ({ page }) => {
    const ranking = projectId(/rank and rate/);
    await page.setViewportSize({ width: 1400, height: 2600 }); // the whole list in view, for the pointer drag
    await signIn(page, 'pat@e2e.test', 'pat-password');
    await page.goto(`/projects/${ranking}/annotate`);
    const list = page.getByRole('list', { name: 'Ranking, best first' });
    await expect(list.locator(':scope > li')).toHaveCount(4);
    const card = (label: string) => page.locator('li[id^="rank-card-"]', { has: page.getByRole('button', { name: `Drag response ${label}` }) });

    // Keyboard: move A down twice; tie C with the card above it.
    await card('A').focus();
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('Alt+ArrowDown');
    await expect(card('A')).toHaveAttribute('aria-label', 'Response A, rank 3');
    await expect(card('A')).toBeFocused();
    await card('C').focus();
    await page.keyboard.press('t');
    await expect(card('C')).toHaveAttribute('aria-label', /tied with the one above/);

    // Pointer: drag D's handle to the top.
    const handle = page.getByRole('button', { name: 'Drag response D' });
    const target = page.getByRole('button', { name: 'Drag response B' });
    await handle.scrollIntoViewIfNeeded();
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, from.y - 10, { steps: 5 });
    await page.mouse.move(to.x + to.width / 2, to.y - 20, { steps: 15 });
    await page.mouse.up();
    await expect(card('D')).toHaveAttribute('aria-label', 'Response D, rank 1');

    // Submitting without ratings names what is missing, beside each response's ratings; the messages go as
    // the ratings are filled in.
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'rate helpfulness, correctness, coherence, complexity and verbosity of response A' })).toBeVisible();
    await expect(page.getByText('4 things left, marked above')).toBeVisible();
    for (const label of ['A', 'B', 'C', 'D']) {
      for (const attribute of ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity']) {
        await page.getByRole('radio', { name: `${attribute} of response ${label}: ${label === 'D' ? 4 : 2}` }).click();
      }
    }
    await expect(page.getByRole('form', { name: 'Annotation task' }).getByRole('alert')).toHaveCount(0);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect(page.getByTestId('progress-text')).toHaveText(/^1 done/);

    const stored = await latestAnswer(page, ranking);
    const ids = stored.responses.map((r) => r.id); // shown order: A, B, C, D
    const groups = stored.previous.ranking.map((g) => g.map((x) => 'ABCD'[ids.indexOf(x)]).join(''));
    expect(groups[0]).toBe('D');
    expect(groups.some((g) => g.length === 2 && g.includes('C'))).toBe(true);
    expect(groups.join('').split('').sort().join('')).toBe('ABCD');
    expect(stored.previous.ratings[String(ids[3])]).toEqual({ helpfulness: 4, correctness: 4, coherence: 4, complexity: 4, verbosity: 4 });
  });

  test('one rank-and-rate item from the keyboard alone takes under 40 key presses', async ({ page }) => {
    const ranking = projectId(/rank and rate/);
    await signIn(page, 'pat@e2e.test', 'pat-password');
    await page.goto(`/projects/${ranking}/annotate`);
    await expect(page.getByRole('list', { name: 'Ranking, best first' }).locator(':scope > li')).toHaveCount(4);
    const before = await progress(page);
    const card = (label: string) => page.locator('li[id^="rank-card-"]', { has: page.getByRole('button', { name: `Drag response ${label}` }) });
    let presses = 0;
    const press = async (key: string) => {
      presses++;
      await page.keyboard.press(key);
    };

    // N: the first response's first rating, one tab stop per attribute; arrows change it.
    await press('n');
    await expect(page.getByRole('radio', { name: 'helpfulness of response A: 0' })).toBeFocused();
    await press('ArrowRight');
    await press('ArrowRight');
    await expect(page.getByRole('radio', { name: 'helpfulness of response A: 2' })).toHaveAttribute('aria-checked', 'true');
    await expect(page.getByRole('radio', { name: 'helpfulness of response A: 2' })).toBeFocused();
    // Digits rate the focused attribute and move on, across responses, and after the last to Submit.
    const values: Record<string, number[]> = { A: [3, 1, 4, 1, 2], B: [0, 2, 2, 3, 1], C: [4, 4, 0, 1, 3], D: [1, 0, 3, 2, 4] };
    for (const label of ['A', 'B', 'C', 'D']) for (const v of values[label]!) await press(String(v));
    await expect(page.getByRole('button', { name: 'Submit', exact: true })).toBeFocused();
    // N again: back to A; Alt+↓ from its rating moves the card; T ties it with the card above.
    await press('n');
    await press('Alt+ArrowDown');
    await press('Alt+ArrowDown');
    await expect(card('A')).toHaveAttribute('aria-label', 'Response A, rank 3');
    await press('t');
    await expect(card('A')).toHaveAttribute('aria-label', 'Response A, rank 2, tied with the one above');
    await expect(page.getByRole('form', { name: 'Annotation task' }).getByRole('alert')).toHaveCount(0);
    await press('Enter');
    await expect(page.getByTestId('progress-text')).toHaveText(new RegExp(`^${before.done + 1} done`));
    expect(presses).toBeLessThan(40);

    const stored = await latestAnswer(page, ranking);
    const ids = stored.responses.map((r) => r.id);
    const attributes = ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'];
    ['A', 'B', 'C', 'D'].forEach((label, i) => expect(stored.previous.ratings[String(ids[i])]).toEqual(Object.fromEntries(attributes.map((a, k) => [a, values[label]![k]]))));
    expect(stored.previous.ranking.map((g) => g.map((x) => 'ABCD'[ids.indexOf(x)]).join(''))).toEqual(['B', 'CA', 'D']);
  });

  test('a researcher follows progress per item and per annotator, marks gold, and edits settings and guidelines', async ({ page }) => {
    const demo = projectId(/helpfulness of five/);
    await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
    await page.goto(`/projects/${demo}`);
    await page.getByRole('link', { name: 'Annotation progress' }).click();
    await expect(page.getByRole('heading', { name: 'Annotation progress' })).toBeVisible();
    const annotators = page.locator('section', { has: page.getByRole('heading', { name: 'Annotators' }) });
    await expect(annotators.getByRole('row', { name: /\(simulated\)/ }).first()).toBeVisible();

    await page.getByRole('navigation', { name: 'Item filter' }).getByRole('link', { name: 'open' }).click();
    await expect(page).toHaveURL(/filter=open/);
    const firstGold = page.getByRole('combobox', { name: /^Gold answer for item \d+$/ }).first();
    const label = await firstGold.getAttribute('aria-label');
    await firstGold.selectOption('a');
    await page.getByRole('navigation', { name: 'Item filter' }).getByRole('link', { name: 'gold' }).click();
    await expect(page.getByRole('combobox', { name: label!, exact: true })).toHaveValue('a');
    await expect(page.getByRole('heading', { name: 'Items (1)' })).toBeVisible();

    await page.goto(`/projects/${demo}/settings`);
    await page.getByLabel('Guidelines (markdown; version 1)').fill('# Judge helpfulness\n\nPrefer **correct** answers.');
    await page.getByRole('button', { name: 'Save guidelines' }).click();
    await expect(page.getByText('Saved as version 2.')).toBeVisible();
    await page.getByLabel('Gold items served (% of items, 0–50)').fill('10');
    const attributes = page.getByLabel(/^Attributes to rate 0–4/);
    await attributes.fill('Helpfulness!');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'attribute names are lower-case letters, digits and _' })).toBeVisible();
    await attributes.fill('');
    await page.getByLabel('Annotations per item (overlap)').fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();

    await page.goto(`/projects/${demo}/annotate`);
    await expect(page.getByRole('region', { name: 'Guidelines' })).toContainText('version 2');
    await expect(page.getByRole('region', { name: 'Guidelines' })).toContainText('Prefer correct answers.');

    // A ranking project's quality is read through the pairs its rankings imply.
    await page.goto(`/projects/${projectId(/rank and rate/)}/quality`);
    await expect(page.getByTestId('quality-basis')).toHaveText(/^\d+ rankings by \d+ annotators?, read as the \d+ pairs they imply/);
    await expect(page.getByRole('group', { name: 'Position bias' }).getByTestId('reading')).toContainText('95% CI');

    // Export: validated, trainer-ready files to download.
    await page.goto(`/projects/${demo}`);
    await page.getByRole('link', { name: 'Export', exact: true }).click();
    await page.getByLabel('Margin').selectOption('abs');
    await page.getByRole('button', { name: 'Export' }).click();
    await expect(page.getByText('Pre-flight validation passed.')).toBeVisible();
    const download = page.waitForEvent('download');
    await page.getByRole('list', { name: 'Files of this export' }).getByRole('link', { name: 'train.jsonl', exact: true }).click();
    const file = await (await download).path();
    const first = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]!) as { prompt: { role: string }[]; chosen: { role: string }[]; margin?: number };
    expect(first.prompt.at(-1)!.role).toBe('user');
    expect(first.chosen[0]!.role).toBe('assistant');
    expect(first.margin).toBeGreaterThan(0);
    // It joins the earlier exports, with its card and files, and stays there after a reload.
    await page.reload();
    const history = page.getByRole('table', { name: 'Earlier exports' });
    const row = history.getByRole('row').nth(1);
    await expect(row).toContainText(/succeeded\s*[\d,]+\s*passed/);
    const card = page.waitForEvent('download');
    await row.getByRole('link', { name: 'card', exact: true }).click();
    expect(fs.readFileSync(await (await card).path(), 'utf8')).toMatch(/^---\n|^# /);
    await expect(row.getByRole('link', { name: 'train.jsonl', exact: true })).toBeVisible();
  });
});
