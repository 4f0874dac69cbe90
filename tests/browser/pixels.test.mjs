// Retargeting pixels in a real browser (Debian's Chromium, driven by playwright-core):
// a person opens a link made with every field of the Dub-style seed (../shared/seeds/002:
// password, UTM, forwarded parameters, pixels…), gives the password in the form, and the
// pixel page loads the Meta Pixel and the Google tag with the link's ids, records the page
// view and lands on the destination with the UTM and forwarded parameters; with
// JavaScript off a link with pixels forwards too; a crawler is redirected without the page. Every
// request is intercepted: those for the short domain are passed to the redirect listener
// on loopback by the test; the others are never fetched: the vendors' scripts are stubs that
// do what the real ones do with the ids (Meta's sends its PageView beacon), and the
// destination is a page served by the test.
//   SL_API_URL, SL_REDIRECT_URL, SL_FIXTURES (tests/api/run.sh) and CHROMIUM
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { fromRedirectListener } from './redirect_listener.mjs';

const API = process.env.SL_API_URL;
const REDIRECT = new URL(process.env.SL_REDIRECT_URL);
const KEY = JSON.parse(readFileSync(process.env.SL_FIXTURES, 'utf8')).keys['a-admin'].secret;
const DOMAIN = 'go.a.test';
const META_ID = '1234567890';
const GOOGLE_ID = 'G-PIXEL42';
const RUN = Date.now().toString(36);
const DESTINATION_BASE = `https://example.com/pixels/${RUN}`;
const DESTINATION = `${DESTINATION_BASE}?from=sms`;
const PASSWORD = 'pixel pass 42';
const PERSON = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
// What fbevents.js does with the queue the page's snippet fills: a PageView beacon per
// initialized pixel, to www.facebook.com/tr.
const META_STUB = `(function(){var q=(window.fbq&&window.fbq.queue)||[],ids=[];
q.forEach(function(a){if(a[0]==='init')ids.push(a[1]);});
q.forEach(function(a){if(a[0]==='track')ids.forEach(function(id){
new Image().src='https://www.facebook.com/tr?id='+encodeURIComponent(id)+'&ev='+encodeURIComponent(a[1]);});});})();`;

let browser;
let shortUrl;
let seedUrl;

async function createLink(body) {
  const r = await fetch(`${API}/api/v1/links`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 201, `POST /api/v1/links: ${text}`);
  return JSON.parse(text);
}

before(async () => {
  // Every body field of seed 002, as its document names them.
  const seedLink = await createLink({
    url: `${DESTINATION_BASE}?x=1`, domain: DOMAIN, customSlug: `px-seed-${RUN}`,
    title: 'Pixel title', description: 'Pixel description', image: 'https://img.example.com/px.png',
    redirectType: 'PERMANENT_301', linkType: 'URL', cloaked: false, password: PASSWORD,
    expiresAt: new Date(Date.now() + 86400000).toISOString(), maxClicks: 50, tagIds: ['px-a'],
    forwardParameters: true, blockBots: true, utmSource: 'sms', utmMedium: 'text',
    utmCampaign: 'winter', utmTerm: 'boots', utmContent: 'top',
    metaPixelId: META_ID, googleTagId: GOOGLE_ID, webhookUrls: 'https://hooks.example.com/px',
  });
  seedUrl = `http://${DOMAIN}:${REDIRECT.port}/${seedLink.code}`;
  const link = await createLink({
    url: DESTINATION, domain: DOMAIN, customSlug: `px-${RUN}`,
    metaPixelId: META_ID, googleTagId: GOOGLE_ID,
  });
  shortUrl = `http://${DOMAIN}:${REDIRECT.port}/${link.code}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

/// A context whose requests are recorded and, off the short domain, answered by the test.
async function context(options) {
  const ctx = await browser.newContext(options);
  const seen = [];
  const answers = [];
  await ctx.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    seen.push(url);
    if (url.hostname === DOMAIN) {
      const answer = await fromRedirectListener(REDIRECT, route.request());
      answers.push(answer);
      return route.fulfill(answer);
    }
    if (url.href === 'https://connect.facebook.net/en_US/fbevents.js') {
      return route.fulfill({ status: 200, contentType: 'application/javascript', body: META_STUB });
    }
    if (url.origin === 'https://www.googletagmanager.com' && url.pathname === '/gtag/js') {
      return route.fulfill({ status: 200, contentType: 'application/javascript', body: '/* gtag.js */' });
    }
    if (url.origin === 'https://www.facebook.com' && url.pathname === '/tr') {
      return route.fulfill({ status: 204, body: '' });
    }
    if (url.origin + url.pathname === DESTINATION_BASE) {
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>landed</title><p>landed</p>' });
    }
    return route.abort();
  });
  return { ctx, seen, answers };
}

test('a person: the password, then both pixels with the link\'s ids, the page view, the destination with UTM and ref', async () => {
  const { ctx, seen, answers } = await context({ userAgent: PERSON });
  const page = await ctx.newPage();
  await page.goto(`${seedUrl}?ref=sms`);
  assert.equal(answers[0]?.status, 401, 'the password form first');
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.origin + u.pathname === DESTINATION_BASE, { timeout: 10000 }),
    page.click('button[type=submit]')]);
  assert.equal(answers[1]?.status, 200, 'the pixel page, once the password is given');
  const csp = answers[1].headers['content-security-policy'];
  assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' https:\/\/connect\.facebook\.net https:\/\/www\.googletagmanager\.com;/);
  assert.equal(await page.title(), 'landed');
  const landed = new URL(page.url());
  assert.deepEqual(Object.fromEntries(landed.searchParams), {
    x: '1', utm_source: 'sms', utm_medium: 'text', utm_campaign: 'winter', utm_term: 'boots',
    utm_content: 'top', ref: 'sms',
  }, 'the UTM parameters and the forwarded ref=sms');
  const hrefs = seen.map((u) => u.href);
  assert.ok(hrefs.includes('https://connect.facebook.net/en_US/fbevents.js'), 'Meta\'s script requested');
  assert.ok(hrefs.includes(`https://www.googletagmanager.com/gtag/js?id=${GOOGLE_ID}`), 'gtag.js requested with the link\'s tag id');
  assert.ok(hrefs.includes(`https://www.facebook.com/tr?id=${META_ID}&ev=PageView`), 'the PageView sent for the link\'s pixel id');
  const origins = new Set(seen.map((u) => u.origin));
  assert.deepEqual([...origins].sort(), [
    'https://connect.facebook.net', 'https://example.com', 'https://www.facebook.com',
    'https://www.googletagmanager.com', `http://${DOMAIN}:${REDIRECT.port}`].sort(),
  'no other origin is contacted');
  await ctx.close();
});

test('without JavaScript: the page forwards at once, no pixel loads', async () => {
  const { ctx, seen } = await context({ userAgent: PERSON, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(shortUrl);
  await page.waitForURL(DESTINATION, { timeout: 10000 });
  assert.ok(!seen.some((u) => u.hostname !== DOMAIN && u.href !== DESTINATION), 'nothing but the link and the destination');
  await ctx.close();
});

test('a crawler: redirected, never given the page', async () => {
  const { ctx, seen, answers } = await context({ userAgent: GOOGLEBOT });
  const page = await ctx.newPage();
  // The browser follows the redirect out of the test's reach (a fulfilled 302's location is
  // not routed again): what matters is the short link's answer, and what was asked after.
  await page.goto(shortUrl).catch(() => null);
  assert.deepEqual(answers.map((a) => [a.status, a.headers.location]), [[302, DESTINATION]]);
  assert.ok(!seen.some((u) => u.hostname.endsWith('facebook.net') || u.hostname.endsWith('googletagmanager.com')),
    'no pixel script asked for');
  await ctx.close();
});
