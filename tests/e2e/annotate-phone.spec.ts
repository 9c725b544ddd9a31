import { expect, test, type Locator } from '@playwright/test';
import { cli, progress, projectId, signIn } from './fixtures';

test.describe('the annotation workbench on a phone', () => {
  // A touch screen 390 px wide (isMobile's emulated visual viewport puts Playwright's and the page's
  // coordinates apart here, so taps land beside their target; the layout is the same without it).
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });
  test.beforeAll(() => {
    cli('user', 'create', '--email', 'sam@e2e.test', '--password', 'sam-password', '--name', 'Sam', '--role', 'annotator');
    for (const name of [/helpfulness of five/, /rank and rate/]) cli('project', 'add-member', String(projectId(name)), '--user', 'sam@e2e.test', '--role', 'annotator');
  });

  test('every annotator page fits 390 px; the answer bar stays in reach, guidelines open in a drawer, and ranking cards drag by touch', async ({ page }) => {
    const demo = projectId(/helpfulness of five/);
    const ranking = projectId(/rank and rate/);
    await signIn(page, 'sam@e2e.test', 'sam-password');
    const overflow = () => page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    const pages: [string, () => Promise<void>][] = [
      ['/projects', () => expect(page.getByRole('link', { name: /Demo: helpfulness of five/ })).toBeVisible()],
      [`/projects/${demo}`, () => expect(page.getByRole('link', { name: 'Start annotating' })).toBeVisible()],
      [`/projects/${demo}/annotate`, () => expect(page.getByRole('region', { name: 'Response B' })).toBeVisible()],
      [`/projects/${ranking}`, () => expect(page.getByRole('link', { name: 'Start annotating' })).toBeVisible()],
      [`/projects/${ranking}/annotate`, () => expect(page.getByRole('list', { name: 'Ranking, best first' })).toBeVisible()],
      ['/settings/tokens', () => expect(page.getByRole('heading', { level: 1 })).toBeVisible()],
    ];
    for (const [url, loaded] of pages) {
      await page.goto(url);
      await loaded();
      const { scrollWidth, innerWidth } = await overflow();
      expect(scrollWidth, `${url} is ${scrollWidth} px wide in a ${innerWidth} px window`).toBeLessThanOrEqual(innerWidth);
    }
    // Sign out is on screen.
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeInViewport();

    // A pair, by touch: the choices and Submit sit in the bar at the bottom of the screen; one set of choices.
    await page.goto(`/projects/${demo}/annotate`);
    await expect(page.getByRole('region', { name: 'Response B' })).toBeVisible();
    const start = await progress(page);
    await expect(page.getByRole('button', { name: 'B is better', exact: true })).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'B is better', exact: true })).toBeInViewport();
    await expect(page.getByRole('button', { name: 'Submit', exact: true })).toBeInViewport();
    // A finger on the point where each control shows, after checking that control is what is on top there (the
    // bar covers the page under it).
    const tapWhereShown = async (locator: Locator) => {
      await locator.scrollIntoViewIfNeeded();
      const box = (await locator.boundingBox())!;
      const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
      const onTop = await page.evaluate(([px, py]) => {
        const hit = document.elementFromPoint(px!, py!);
        return hit?.closest('button')?.textContent ?? hit?.outerHTML.slice(0, 80);
      }, [x, y]);
      expect(onTop).toBe(await locator.textContent());
      await page.touchscreen.tap(x, y);
    };
    await tapWhereShown(page.getByRole('button', { name: 'B is better', exact: true }));
    await tapWhereShown(page.getByRole('radio', { name: 'B slightly better (+1)' }));
    await tapWhereShown(page.getByRole('button', { name: 'Submit', exact: true }));
    await expect(page.getByTestId('progress-text')).toHaveText(new RegExp(`^${start.done + 1} done`));

    // Guidelines: a drawer over the page, closed by its button.
    await expect(page.getByRole('region', { name: 'Guidelines' })).toBeHidden();
    await tapWhereShown(page.getByRole('button', { name: 'Guidelines' }));
    const drawer = page.getByRole('dialog', { name: 'Guidelines' });
    await expect(drawer).toBeInViewport();
    await expect(drawer).toContainText('version');
    await tapWhereShown(drawer.getByRole('button', { name: 'Close' }));
    await expect(drawer).toHaveCount(0);

    // Ranking by touch (dnd-kit's touch sensor): press B's handle, hold, slide it above A.
    await page.setViewportSize({ width: 390, height: 2600 }); // both cards in view for the slide
    await page.goto(`/projects/${ranking}/annotate`);
    const card = (label: string) => page.locator('li[id^="rank-card-"]', { has: page.getByRole('button', { name: `Drag response ${label}` }) });
    await expect(card('B')).toHaveAttribute('aria-label', 'Response B, rank 2');
    const from = (await page.getByRole('button', { name: 'Drag response B' }).boundingBox())!;
    const to = (await page.getByRole('button', { name: 'Drag response A' }).boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    const x = from.x + from.width / 2;
    await touch('touchStart', x, from.y + from.height / 2);
    await page.waitForTimeout(300); // past the sensor's press delay
    for (let k = 1; k <= 20; k++) await touch('touchMove', x, from.y + from.height / 2 + ((to.y - 30 - from.y) * k) / 20);
    await touch('touchEnd', x, to.y - 30);
    await expect(card('B')).toHaveAttribute('aria-label', 'Response B, rank 1');
  });
});
