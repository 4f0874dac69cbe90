// The dashboard in a real browser (Debian's Chromium, driven by playwright-core), through
// one whole workflow: the first owner (made in SQL by tests/api/run.sh) signs in, makes an
// API key and a link, opens the short link in a second browser context so that the click
// is counted, sees it on the chart and the map, filters the links, exports CSV, shares a
// public statistics page, and invites a viewer who sees but cannot change. At each step the
// test checks what the page shows, runs axe-core's WCAG 2 A and AA rules on it in light and
// dark (0 violations), and writes screenshots at desktop and phone width to
// target/dashboard-screenshots/.
//   SL_API_URL, SL_REDIRECT_URL, SL_DASH_EMAIL, SL_DASH_PASSWORD, SL_DASH_DOMAIN,
//   SL_SCREENSHOTS (tests/api/run.sh) and CHROMIUM
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { fromRedirectListener } from './redirect_listener.mjs';
import { AxeBuilder } from '@axe-core/playwright';

const DASH = process.env.SL_API_URL;
const REDIRECT = new URL(process.env.SL_REDIRECT_URL);
const EMAIL = process.env.SL_DASH_EMAIL;
const PASSWORD = process.env.SL_DASH_PASSWORD;
const DOMAIN = process.env.SL_DASH_DOMAIN;
const SHOTS = process.env.SL_SCREENSHOTS;
const RUN = Date.now().toString(36);
const CODE = `dash-${RUN}`;
const DESTINATION = `https://example.com/spring-sale/${RUN}`;
const VIEWER = `viewer-${RUN}@dash.test`;
const PERSON = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };
// axe-core's rules for WCAG 2.0, 2.1 and 2.2, levels A and AA.
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
let owner;     // the owner's page, signed in
let linkPath;  // /links/{id}
let shareUrl;
let inviteUrl;
let apiSecret;
const checked = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  owner = await ctx.newPage();
});

after(async () => { await browser?.close(); });

/// axe-core on the page as it is, in light and in dark: 0 violations, each named if not;
/// then its screenshots at desktop and phone width (and dark at desktop).
async function checkPage(page, name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
    const found = result.violations.map((v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
    assert.deepEqual(found, [], `axe-core on ${name} (${scheme}): ${page.url()}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/${name}-desktop-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(PHONE);
  // Nothing wider than the phone's screen but what scrolls inside its own box (tables).
  const [overflow, wide] = await page.evaluate(() => [
    document.documentElement.scrollWidth - window.innerWidth,
    [...document.querySelectorAll('body *')]
      .filter((e) => !e.parentElement.closest('.table-wrap') && e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className}`)]);
  assert.ok(overflow <= 0, `${name} fits a 375-pixel screen (overflows by ${overflow}px: ${wide.join(', ')})`);
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(DESKTOP);
  checked.push(name);
}

/// The text of the element `selector`, trimmed.
async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

test('the first owner signs in, by keyboard', async () => {
  await owner.goto(`${DASH}/`);
  assert.equal(new URL(owner.url()).pathname, '/login', 'signed out: the sign-in page');
  await checkPage(owner, 'sign-in');
  // A wrong password is refused, the form says so next to the fields.
  await owner.fill('#email', EMAIL);
  await owner.fill('#password', 'not the password');
  await owner.press('#password', 'Enter');
  await owner.waitForLoadState();
  assert.match(await text(owner, '[role=alert]'), /Wrong e-mail, password or workspace/);
  // By keyboard alone: focus moves through the fields in order, Enter submits.
  await owner.focus('#email');
  await owner.keyboard.press('ControlOrMeta+a');
  await owner.keyboard.type(EMAIL);
  await owner.keyboard.press('Tab');
  assert.equal(await owner.evaluate(() => document.activeElement.id), 'password');
  await owner.keyboard.type(PASSWORD);
  await Promise.all([owner.waitForURL(`${DASH}/links`), owner.keyboard.press('Enter')]);
  assert.match(await text(owner, '.who'), new RegExp(`${EMAIL}.*owner`, 'is'));
  const cookies = await owner.context().cookies();
  const session = cookies.find((c) => c.name === 'sl_session');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Lax');
  await checkPage(owner, 'links-empty');
});

test('the owner makes an API key: its secret shown once, and it works', async () => {
  await owner.click('nav >> text=API keys');
  await owner.fill('#key-name', `dashboard test ${RUN}`);
  await owner.click('button:has-text("Make key")');
  apiSecret = await owner.inputValue('#new-secret');
  assert.match(apiSecret, /^sl_[0-9A-Za-z]{8}_[0-9A-Za-z]{43}$/);
  await checkPage(owner, 'keys');
  const r = await fetch(`${DASH}/api/v1/links?limit=1`, { headers: { Authorization: `Bearer ${apiSecret}` } });
  assert.equal(r.status, 200, 'the new key reads links through the API');
  await owner.goto(`${DASH}/keys`);
  assert.equal(await owner.locator('#new-secret').count(), 0, 'the secret is not shown again');
  assert.ok((await text(owner, 'table')).includes(`dashboard test ${RUN}`));
});

test('the owner makes a link; a refused field shows the database\'s error beside it', async () => {
  await owner.goto(`${DASH}/links`);
  await owner.click('text=New link');
  await checkPage(owner, 'link-new');
  await owner.fill('#f-url', DESTINATION);
  await owner.selectOption('#f-domain', DOMAIN);
  await owner.fill('#f-code', CODE);
  await owner.fill('#f-tags', 'spring, sms');
  await owner.fill('#f-max-clicks', '0');
  await owner.click('button:has-text("Create link")');
  assert.equal(await owner.getAttribute('#f-max-clicks', 'aria-invalid'), 'true');
  assert.match(await text(owner, '#f-max-clicks-error'), /max_clicks/);
  assert.equal(await owner.inputValue('#f-url'), DESTINATION, 'what was typed is kept');
  await checkPage(owner, 'link-refused');
  await owner.fill('#f-max-clicks', '');
  await owner.fill('#f-utm-source', 'sms');
  await owner.click('button:has-text("Create link")');
  await owner.waitForURL(/\/links\/\d+\?done=created$/);
  linkPath = new URL(owner.url()).pathname;
  assert.equal(await text(owner, '[role=status]'), 'Link created.');
  assert.equal(await text(owner, '#short-url'), `https://${DOMAIN}/${CODE}`);
  assert.equal(await text(owner, '#total-people'), '0');
  const qr = await owner.evaluate(async (p) => (await fetch(`${p}/qr.svg`)).headers.get('content-type'), linkPath);
  assert.equal(qr, 'image/svg+xml');
});

test('the short link opened in a second browser context: counted, on the chart and the map', async () => {
  const visitor = await browser.newContext({ userAgent: PERSON });
  const answers = [];
  await visitor.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === DOMAIN) {
      try {
        const a = await fromRedirectListener(REDIRECT, route.request(), { 'cf-ipcountry': 'DE' });
        answers.push(a);
        return route.fulfill(a);
      } catch (e) {
        console.error('the redirect listener did not answer:', e);
        return route.abort();
      }
    }
    return route.abort();
  });
  const page = await visitor.newPage();
  // The browser follows the redirect out of the test's reach (a fulfilled 302's location
  // is not routed again, and example.com does not resolve here): what counts is the short
  // link's answer, which the click was counted for.
  await page.goto(`http://${DOMAIN}:${REDIRECT.port}/${CODE}`).catch(() => null);
  assert.equal(answers.length, 1);
  assert.equal(answers[0].status, 302);
  assert.equal(answers[0].headers.location, `${DESTINATION}?utm_source=sms`);
  await visitor.close();

  await owner.goto(`${DASH}${linkPath}?range=24h`);
  assert.equal(await text(owner, '#total-people'), '1', 'the click counted');
  assert.equal(await text(owner, '#total-bots'), '0');
  const point = await owner.locator('svg.chart circle.chart-point title', { hasText: '1 click' }).count();
  assert.equal(point, 1, 'one point of the chart says 1 click');
  const germany = owner.locator('svg.map path[data-country="de"]');
  assert.match(await germany.getAttribute('class'), /map-level-5/, 'Germany shaded on the map');
  assert.match(await germany.locator('title').textContent(), /Germany: 1 click/);
  assert.match(await text(owner, '#bd-country + table'), /Germany \(DE\)\s+1\s+0/);
  await checkPage(owner, 'link');
  // The previous period overlaid on request.
  await Promise.all([owner.waitForURL(/compare=1/),
    owner.click('a:has-text("Compare with the previous period")')]);
  assert.ok(await owner.locator('svg.chart .chart-previous').count() > 0, 'the previous period drawn');
  assert.match(await text(owner, '.totals'), /Previous period\s+0/);
});

test('the links table: search, filters, sort, and CSV of all or the selection', async () => {
  await owner.goto(`${DASH}/links`);
  await owner.fill('#q', CODE);
  await owner.click('button:has-text("Apply")');
  assert.match(await text(owner, '#links-count'), /^1 link matches/);
  assert.equal(await owner.locator('tbody tr').count(), 1);
  await checkPage(owner, 'links');
  await owner.goto(`${DASH}/links?tag=spring`);
  assert.match(await text(owner, '#links-count'), /^1 link matches/);
  await owner.goto(`${DASH}/links?tag=spring&state=disabled`);
  assert.match(await text(owner, '#links-count'), /^0 links match/);
  await owner.goto(`${DASH}/links?sort=clicks&dir=desc`);
  assert.equal(await owner.locator('tbody tr th a').first().innerText(), `${DOMAIN}/${CODE}`, 'the clicked link first by clicks');

  const [all] = await Promise.all([owner.waitForEvent('download'), owner.click('text=Export all as CSV')]);
  const csv = readFileSync(await all.path(), 'utf8');
  const header = csv.split('\n')[0].split(',');
  const row = csv.split('\n').find((l) => l.includes(`/${CODE},`)).split(',');
  assert.equal(row[header.indexOf('short_url')], `https://${DOMAIN}/${CODE}`);
  assert.equal(row[header.indexOf('clicks')], '1');
  assert.equal(row[header.indexOf('tags')], 'spring sms');

  await owner.goto(`${DASH}/links?q=${CODE}`);
  await owner.check(`input[name=id][aria-label="Select ${DOMAIN}/${CODE}"]`);
  const [selected] = await Promise.all([owner.waitForEvent('download'),
    owner.click('#bulk-form button[value=export]')]);
  assert.equal(readFileSync(await selected.path(), 'utf8').trim().split('\n').length, 2, 'header and the one link');
});

test('analytics of the workspace and of a tag, with the CSV of what is shown', async () => {
  await owner.goto(`${DASH}/analytics?range=7d`);
  assert.equal(await text(owner, '#total-people'), '1');
  assert.match(await text(owner, '#bd-top + table'), new RegExp(`${DOMAIN}/${CODE}\\s+1`));
  await checkPage(owner, 'analytics');
  await owner.selectOption('#analytics-tag', 'spring');
  await owner.click('form[aria-label=Tag] button');
  assert.equal(await text(owner, 'h1'), 'Analytics of tag spring');
  assert.equal(await text(owner, '#total-people'), '1');
  const [dl] = await Promise.all([owner.waitForEvent('download'), owner.click('.csv-link')]);
  const csv = readFileSync(await dl.path(), 'utf8');
  assert.match(csv, /^table,key,people,bots,unique_visitors,previous_period\n/);
  assert.match(csv, /\ntotal,last 7 days,1,0,1,/);
  assert.match(csv, /\ncountry,Germany \(DE\),1,0,1,\n/);
});

test('a public statistics page, shared and read with no session', async () => {
  await owner.goto(`${DASH}${linkPath}`);
  await owner.click('text=Share a public statistics page');
  shareUrl = await text(owner, '#share-url');
  assert.match(shareUrl, new RegExp(`^${DASH}/s/[0-9A-Za-z]{43}$`));
  const stranger = await browser.newContext({ viewport: DESKTOP });
  const page = await stranger.newPage();
  await page.goto(shareUrl);
  assert.equal(await text(page, 'h1'), `Clicks of ${DOMAIN}/${CODE}`);
  assert.equal(await text(page, '#total-people'), '1');
  assert.ok(!(await page.content()).includes(DESTINATION), 'the destination is not shown');
  await checkPage(page, 'public-stats');
  await stranger.close();
});

test('the owner edits the destination: the page lists the earlier one', async () => {
  await owner.goto(`${DASH}${linkPath}`);
  await owner.click('a:has-text("Edit")');
  await checkPage(owner, 'link-edit');
  // The stored destination carries its UTM parameters (shorten puts them in).
  assert.equal(await owner.inputValue('#f-url'), `${DESTINATION}?utm_source=sms`, 'the form shows the link as it is');
  assert.equal(await owner.inputValue('#f-tags'), 'spring, sms');
  assert.equal(await owner.inputValue('#f-utm-source'), 'sms');
  await owner.fill('#f-url', `${DESTINATION}/v2`);
  await owner.click('button:has-text("Save")');
  await owner.waitForURL(/\?done=saved$/);
  assert.equal(await text(owner, '[role=status]'), 'Link saved.');
  assert.equal(await text(owner, '.facts dd.url'), `${DESTINATION}/v2?utm_source=sms`);
  const history = await text(owner, '#history-heading + div table tbody');
  assert.ok(history.startsWith(`${DESTINATION}?utm_source=sms`), history);
  assert.match(history, new RegExp(`UTC\\s+user ${EMAIL}$`));
});

test('domains and members pages; a viewer invited sees but cannot change', async () => {
  await owner.goto(`${DASH}/domains`);
  assert.ok((await text(owner, 'table')).includes(DOMAIN));
  await checkPage(owner, 'domains');
  await owner.goto(`${DASH}/members`);
  await owner.fill('#invite-email', VIEWER);
  await owner.selectOption('#invite-role', 'viewer');
  await owner.click('button:has-text("Invite")');
  inviteUrl = await owner.inputValue('#invite-url');
  assert.match(inviteUrl, new RegExp(`^${DASH}/invite/[0-9A-Za-z]{43}$`));
  assert.match(await text(owner, 'table'), new RegExp(`${VIEWER}\\s+viewer\\s+\\S+\\s+invited`));
  await checkPage(owner, 'members');

  const viewerCtx = await browser.newContext({ viewport: DESKTOP });
  const viewer = await viewerCtx.newPage();
  await viewer.goto(inviteUrl);
  await checkPage(viewer, 'invitation');
  await viewer.fill('#password', 'viewer password 1');
  await Promise.all([viewer.waitForURL(`${DASH}/links`), viewer.click('button:has-text("Accept")')]);
  assert.match(await text(viewer, '.who'), new RegExp(`${VIEWER}.*viewer`, 'is'));
  // Sees the links and their clicks…
  assert.ok((await text(viewer, 'table')).includes(`${DOMAIN}/${CODE}`));
  await viewer.goto(`${DASH}${linkPath}`);
  assert.equal(await text(viewer, '#total-people'), '1');
  // …but is offered no change, and a change asked anyway is refused by the database.
  assert.equal(await viewer.locator('text=New link').count(), 0);
  assert.equal(await viewer.locator('text=Edit').count(), 0);
  assert.equal(await viewer.locator('nav >> text=API keys').count(), 0);
  const csrf = await viewer.inputValue('input[name=csrf] >> nth=0');
  const refused = await viewer.evaluate(async ([path, token]) => {
    const r = await fetch(`${path}/state`, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `csrf=${token}&action=disable` });
    return [r.status, await r.text()];
  }, [linkPath, csrf]);
  assert.equal(refused[0], 403);
  assert.match(refused[1], /lacks scope &#34;links:write&#34;/, 'the database refused it');
  assert.match(refused[1], /You are a viewer in this workspace/);
  const newLink = await viewer.goto(`${DASH}/links/new`);
  assert.equal(newLink.status(), 403);
  const keys = await viewer.goto(`${DASH}/keys`);
  assert.equal(keys.status(), 403, 'a viewer lists no keys');
  await checkPage(viewer, 'forbidden');
  await viewerCtx.close();

  // The owner sees the viewer as a member now.
  await owner.goto(`${DASH}/members`);
  assert.match(await text(owner, 'table'), new RegExp(`${VIEWER}\\s+viewer\\s+\\S+\\s+member`));
});

test('without a CSRF token, a form is refused; signing out ends the session', async () => {
  const r = await owner.evaluate(async (path) => {
    const res = await fetch(`${path}/state`, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'action=disable' });
    return res.status;
  }, linkPath);
  assert.equal(r, 403);
  await owner.goto(`${DASH}${linkPath}`);
  assert.match(await text(owner, '.state'), /active/, 'the link was not disabled');
  await Promise.all([owner.waitForURL(`${DASH}/login`), owner.click('button:has-text("Sign out")')]);
  await owner.goto(`${DASH}/links`);
  assert.equal(new URL(owner.url()).pathname, '/login', 'signed out: back to the sign-in page');
  // The pages checked by axe and photographed, for the record.
  assert.deepEqual(checked.sort(), ['analytics', 'domains', 'forbidden', 'invitation', 'keys', 'link',
    'link-edit', 'link-new', 'link-refused', 'links', 'links-empty', 'members', 'public-stats',
    'sign-in'].sort());
});
