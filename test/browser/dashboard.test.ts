import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { artifact, deployment, launch, loggedIn, startWorld, stats, type World } from './harness.js';

// What the functions run in the page see (the tests' tsconfig has no DOM library).
declare const document: { cookie: string; documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };

// The dashboard in Debian's Chromium (playwright-core, headless) against an API server on
// 127.0.0.1 over memory targets with the controller running. Every wait is on a condition.

let world: World;
let browser: Browser;
beforeAll(async () => {
  world = await startWorld();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const ready = (page: Page, zone: string, name: string, n: number, current = true) =>
  page.locator(
    `[data-zone="${zone}"] .slice[data-deployment="${name}"][data-current="${current ? 'yes' : 'no'}"] [data-count-state="ready"][data-count="${n}"]`,
  );

async function apply(d: ReturnType<typeof deployment>, wait = true): Promise<void> {
  const res = await world.call('POST', `/api/v1/deployments?wait=${wait}`, d);
  expect(res.status, await res.clone().text()).toBe(200);
}

async function rolloutPhase(name: string): Promise<string | undefined> {
  const r = await world.call('GET', `/api/v1/deployments/${name}/rollout`, undefined, 'viewer');
  return ((await r.json()) as { state?: { phase: string } }).state?.phase;
}

describe('the dashboard', () => {
  it('logs in with a token by keyboard alone; a wrong token is refused; logout ends the session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(world.url);
    await page.getByLabel('API token').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type('sft_not-a-token');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await page.getByLabel('API token').fill(world.tokens.viewer);
    await page.keyboard.press('Enter');
    await page.locator('.who[data-role="viewer"]').waitFor();
    expect(page.url()).not.toContain(world.tokens.viewer);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'skyfleet_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(session?.value).not.toContain(world.tokens.viewer);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // a reload keeps the session (the cookie), not the token
    await page.reload();
    await page.locator('.who[data-role="viewer"]').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/deployments')).status)).toBe(401);
    await context.close();
  });

  it('after an apply of 3 replicas the map shows 3 ready replicas in the right zone within seconds', async () => {
    const { context, page } = await loggedIn(browser, world, 'viewer');
    await page.getByRole('heading', { name: 'Fleet map' }).waitFor();
    await apply(deployment('web', 3, 'img:1', ['azure-lab']), false);
    const started = Date.now();
    await ready(page, 'azure-lab/westeurope-1', 'web', 3).waitFor({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    // grouped by cloud and region, and nowhere else
    await page.getByRole('heading', { name: 'Cloud: azure', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Region: westeurope', exact: true }).waitFor();
    expect(await page.locator('.slice[data-deployment="web"]').count()).toBe(1);
    await page.screenshot({ path: artifact('dashboard-map.png'), fullPage: true });
    await context.close();
  });

  it('shows a rolling update live, without a reload: the old revision draining, the new one becoming ready', async () => {
    await apply(deployment('roll', 4, 'img:1', ['aws-lab']));
    const { context, page } = await loggedIn(browser, world, 'viewer');
    await ready(page, 'aws-lab/a', 'roll', 2).waitFor({ timeout: 10_000 });
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await apply(deployment('roll', 4, 'img:2', ['aws-lab']), false);
    // both revisions on the map at once: the old one still serving while the new one starts
    await page
      .locator(
        '.slice[data-deployment="roll"][data-current="no"] + .slice[data-deployment="roll"][data-current="yes"], .slice[data-deployment="roll"][data-current="yes"] ~ .slice[data-deployment="roll"][data-current="no"]',
      )
      .first()
      .waitFor({ timeout: 10_000 });
    await page
      .locator('.slice[data-deployment="roll"][data-current="yes"] [data-count-state="starting"]')
      .first()
      .waitFor({ timeout: 10_000 });
    // then only the new revision, all ready
    await ready(page, 'aws-lab/a', 'roll', 2).waitFor({ timeout: 20_000 });
    await ready(page, 'aws-lab/b', 'roll', 2).waitFor({ timeout: 20_000 });
    await page
      .locator('.slice[data-deployment="roll"][data-current="no"]')
      .first()
      .waitFor({ state: 'detached', timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await context.close();
  });

  it('a deployer promotes a paused Canary from its page, after a confirmation saying what happens', async () => {
    const canary = {
      type: 'Canary' as const,
      canary: { steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }] },
    };
    await apply(deployment('canary', 2, 'img:1', ['azure-lab'], { strategy: canary }));
    await apply(deployment('canary', 2, 'img:2', ['azure-lab'], { strategy: canary }), false);
    const state = await eventually(
      async () => {
        const r = await world.call('GET', '/api/v1/deployments/canary/rollout', undefined, 'viewer');
        return ((await r.json()) as { state?: { phase: string; stable: string; canary: string } }).state;
      },
      { until: (s) => s?.phase === 'Paused', timeoutMs: 15_000, intervalMs: 50 },
    );
    // the listener's view, per revision: the charts show what the API answers
    world.traffic.set('canary', [stats(state!.stable, 30, 0, 12), stats(state!.canary, 10, 2, 48)]);
    const { context, page } = await loggedIn(browser, world, 'deployer');
    await page.goto(`${world.url}/#/deployments/canary`);
    await page.getByTestId('rollout-phase').filter({ hasText: 'Paused' }).waitFor({ timeout: 15_000 });
    const canaryRev = `rev ${state!.canary.slice(0, 8)}`;
    await page
      .getByRole('img', { name: `Requests per second: now rev ${state!.stable.slice(0, 8)} 30/s, ${canaryRev} 10/s` })
      .waitFor();
    await page.getByRole('img', { name: `${canaryRev} 2%` }).waitFor();
    await page
      .getByRole('img', { name: `p99 latency: now rev ${state!.stable.slice(0, 8)} 12 ms, ${canaryRev} 48 ms` })
      .waitFor();
    const current = page.locator('.step[aria-current="step"]');
    await current.filter({ hasText: 'Step 2: pause until promoted' }).waitFor();
    await page.screenshot({ path: artifact('dashboard-deployment.png'), fullPage: true });
    await page.getByRole('button', { name: 'Promote' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.filter({ hasText: 'skips its remaining steps and takes all traffic' }).waitFor();
    await dialog.getByRole('button', { name: 'Promote' }).click();
    await page.getByTestId('rollout-phase').filter({ hasText: 'Completed' }).waitFor({ timeout: 15_000 });
    expect(await rolloutPhase('canary')).toBe('Completed');
    await context.close();
  });

  it('BlueGreen shows its active and preview revisions; a deployer scales after a confirmation naming the counts', async () => {
    const bg = { type: 'BlueGreen' as const, blueGreen: { autoPromote: false, scaleDownDelaySeconds: 30 } };
    await apply(deployment('bluegreen', 2, 'img:1', ['azure-lab'], { strategy: bg }));
    await apply(deployment('bluegreen', 2, 'img:2', ['azure-lab'], { strategy: bg }), false);
    const state = await eventually(
      async () => {
        const r = await world.call('GET', '/api/v1/deployments/bluegreen/rollout', undefined, 'viewer');
        return ((await r.json()) as { state?: { stable: string | null; canary: string; phase: string } }).state;
      },
      { until: (s) => !!s?.stable && s.stable !== s.canary, timeoutMs: 15_000, intervalMs: 50 },
    );
    const { context, page } = await loggedIn(browser, world, 'deployer');
    await page.goto(`${world.url}/#/deployments/bluegreen`);
    const dl = page.locator('dl.bluegreen');
    await dl.filter({ hasText: `Active (serving)${state!.stable!.slice(0, 8)}` }).waitFor({ timeout: 10_000 });
    await dl.filter({ hasText: `Preview${state!.canary.slice(0, 8)}` }).waitFor();

    await apply(deployment('scaled', 2, 'img:1', ['azure-lab']));
    await page.goto(`${world.url}/#/deployments/scaled`);
    await page.getByTestId('ready-count').filter({ hasText: '2 / 2 ready' }).waitFor({ timeout: 10_000 });
    await page.getByRole('spinbutton', { name: 'Replicas' }).fill('4');
    await page.getByRole('button', { name: 'Scale', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.filter({ hasText: 'Scale scaled from 2 to 4 replicas.' }).waitFor();
    await dialog.getByRole('button', { name: 'Scale' }).click();
    await page.getByTestId('ready-count').filter({ hasText: '4 / 4 ready' }).waitFor({ timeout: 10_000 });
    const rec = (await (await world.call('GET', '/api/v1/deployments/scaled', undefined, 'viewer')).json()) as {
      spec: { spec: { replicas: number } };
    };
    expect(rec.spec.spec.replicas).toBe(4);
    await context.close();
  });

  it('a viewer sees no action, and an action forged with the viewer session is refused with 403', async () => {
    const canary = { type: 'Canary' as const, canary: { steps: [{ setWeight: 25 }, { pause: {} }] } };
    await apply(deployment('held', 1, 'img:1', ['azure-lab'], { strategy: canary }));
    await apply(deployment('held', 1, 'img:2', ['azure-lab'], { strategy: canary }), false);
    await eventually(() => rolloutPhase('held'), { until: (p) => p === 'Paused', timeoutMs: 15_000, intervalMs: 50 });
    const { context, page } = await loggedIn(browser, world, 'viewer');
    await page.goto(`${world.url}/#/deployments/held`);
    await page.getByTestId('rollout-phase').filter({ hasText: 'Paused' }).waitFor();
    await page.getByRole('heading', { name: 'Replicas' }).waitFor();
    expect(await page.getByRole('button', { name: /promote|pause|resume|abort|undo|scale|migrate/i }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    const forged = await page.evaluate(async () => {
      const { csrf } = (await (await fetch('/api/v1/session')).json()) as { csrf: string };
      const r = await fetch('/api/v1/deployments/held/rollout/promote', {
        method: 'POST',
        headers: { 'x-skyfleet-csrf': csrf },
      });
      return { status: r.status, code: ((await r.json()) as { error: { code: string } }).error.code };
    });
    expect(forged).toEqual({ status: 403, code: 'forbidden' });
    expect(await rolloutPhase('held')).toBe('Paused');
    await context.close();
  });

  it('a zone failure shows on the map and the replicas move to the zone left', async () => {
    await apply(deployment('zonal', 4, 'img:1', ['gcp-lab']));
    const { context, page } = await loggedIn(browser, world, 'viewer');
    await ready(page, 'gcp-lab/x', 'zonal', 2).waitFor({ timeout: 10_000 });
    await ready(page, 'gcp-lab/y', 'zonal', 2).waitFor();
    world.cloud.zoneDown('x');
    try {
      await page
        .locator('[data-zone="gcp-lab/x"][data-health="down"]')
        .filter({ hasText: 'down' })
        .waitFor({ timeout: 5_000 });
      await ready(page, 'gcp-lab/y', 'zonal', 4).waitFor({ timeout: 20_000 });
      await page
        .locator('[data-zone="gcp-lab/x"] .slice[data-deployment="zonal"]')
        .first()
        .waitFor({ state: 'detached', timeout: 20_000 });
      await page.screenshot({ path: artifact('dashboard-zone-down.png'), fullPage: true });
    } finally {
      world.cloud.zoneUp('x');
    }
    await context.close();
  });

  it('a platform that counts replicas without listing them (Cloud Run): counts, never one made-up replica each', async () => {
    // one replica: the zone test before may have left gcp-lab/x cooling down, so no zone is named
    await apply(deployment('counted', 1, 'img:1', ['gcp-lab']));
    await apply(deployment('listed', 1, 'img:1', ['azure-lab']));
    const { context, page } = await loggedIn(browser, world, 'viewer');
    const gcpSlice = page.locator('[data-zone^="gcp-lab/"] .slice[data-deployment="counted"]');
    await gcpSlice
      .locator('.aggregate')
      .filter({ hasText: '1/1 ready, counted by the platform' })
      .waitFor({ timeout: 10_000 });
    expect(await gcpSlice.locator('.replicas').count()).toBe(0);
    // a platform that lists its replicas keeps one icon each
    const azureSlice = page.locator('[data-zone="azure-lab/westeurope-1"] .slice[data-deployment="listed"]');
    await azureSlice.locator('.replicas').waitFor();
    expect(await azureSlice.locator('.aggregate').count()).toBe(0);
    // the deployment's replica table: one row for the counted slice, none per replica
    await page.goto(`${world.url}#/deployments/counted`);
    const rows = page.locator('.replicas-table tbody tr');
    await rows.filter({ hasText: '1/1 ready, counted by the platform' }).waitFor({ timeout: 10_000 });
    expect(await rows.count()).toBe(1);
    expect(await page.locator('.replicas-table tbody tr[data-aggregate="yes"]').count()).toBe(1);
    await context.close();
  });

  it('follows the watch streams again by itself after the server drops every connection', async () => {
    const { context, page } = await loggedIn(browser, world, 'viewer');
    await page.locator('.link[data-link="live"]').waitFor({ timeout: 10_000 });
    world.server.dropConnections();
    await page.locator('.link[data-link="reconnecting"]').waitFor({ timeout: 5_000 });
    await page.locator('.link[data-link="live"]').waitFor({ timeout: 15_000 });
    // and the stream carries changes again: a deployment applied now shows without a reload
    await apply(deployment('after-drop', 1, 'img:1', ['azure-lab']), false);
    await ready(page, 'azure-lab/westeurope-1', 'after-drop', 1).waitFor({ timeout: 5_000 });
    await context.close();
  });

  it('has no serious or critical accessibility violations (axe-core) on the main pages, on a laptop and a phone', async () => {
    const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    const check = async (page: Page, what: string) => {
      await page.evaluate(axe);
      const found = await page.evaluate(async () => {
        const r = await (
          window as unknown as {
            axe: {
              run(
                o: unknown,
              ): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }> }>;
            };
          }
        ).axe.run({ resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) }));
      });
      return { what, serious: found.filter((v) => v.impact === 'serious' || v.impact === 'critical') };
    };
    const results = [];
    const login = await browser.newContext();
    const lp = await login.newPage();
    await lp.goto(world.url);
    await lp.getByLabel('API token').waitFor();
    results.push(await check(lp, 'login'));
    await login.close();
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { context, page } = await loggedIn(browser, world, 'deployer', viewport);
      await page.locator('.slice[data-deployment="web"]').first().waitFor();
      results.push(await check(page, `map ${viewport.width}`));
      // nothing wider than a phone's screen
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await page.goto(`${world.url}/#/deployments`);
      await page.locator('tr[data-deployment="web"]').waitFor();
      results.push(await check(page, `list ${viewport.width}`));
      await page.goto(`${world.url}/#/deployments/canary`);
      await page.getByRole('heading', { name: 'Replicas' }).waitFor();
      results.push(await check(page, `deployment ${viewport.width}`));
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      await context.close();
    }
    expect(results.map((r) => r.what)).toHaveLength(7);
    expect(results.filter((r) => r.serious.length)).toEqual([]);
  });
});
