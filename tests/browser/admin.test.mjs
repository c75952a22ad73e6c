// Network Admin → Webhooks in a real browser (headless Debian Chromium, playwright-core)
// against the local multisite of tools/wp. Screenshots go to tests/output/browser/.

import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import {
  BASE, NETWORK_ADMIN, Receiver, closedPort, createWebhook, deleteAllWebhooks, installFixtures, launch, login,
  phpString, removeFixtures, screenshot, sleep, wpJson, wpPhp,
} from './support.mjs';

const LIST = `${NETWORK_ADMIN}admin.php?page=multisite-webhooks`;
const EDIT = `${NETWORK_ADMIN}admin.php?page=multisite-webhooks-edit`;
const LOG = `${NETWORK_ADMIN}admin.php?page=multisite-webhooks-log`;

let browser;
let page;
let receiver;
let pageErrors;

/** The webhooks as stored: id → {name, webhook_url, events, active}. */
function stored() {
  return wpJson('echo json_encode(array_map(fn ($h) => array_intersect_key($h, array_flip(["id","name","webhook_url","events","active"])), MultisiteWebhooks\\Plugin::instance()->webhooks()->list()));');
}

/** Opens the Send Test dialog from `button` and waits for its verdict. */
async function sendTest(button) {
  await button.click();
  const dialog = page.locator('#mwh-test-dialog');
  await dialog.locator('.mwh-test-verdict').waitFor({ state: 'visible', timeout: 30000 });
  return dialog;
}

/** The Send Test button in the list row of webhook `name`. */
async function rowTestButton(name) {
  const row = page.locator('#the-list tr', { has: page.locator('a.row-title', { hasText: name }) });
  await row.hover();
  return row.locator('.mwh-send-test');
}

/** Reloads `url` until `locator(page)` has at least `n` matches. */
async function reloadUntil(url, locator, n, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url);
    const count = await locator(page).count();
    if (count >= n) return;
    if (Date.now() > end) throw new Error(`${url}: waited for ${n} match(es), saw ${count}`);
    await sleep(500);
  }
}

before(async () => {
  await installFixtures();
  browser = await launch();
  const first = await browser.context.newPage();
  await login(first);
  await first.close();
});

after(async () => {
  await browser?.close();
  deleteAllWebhooks();
  await removeFixtures();
});

beforeEach(async () => {
  deleteAllWebhooks();
  receiver = await Receiver.start();
  page = await browser.context.newPage();
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
});

afterEach(async () => {
  await page.close();
  receiver.stop();
  assert.deepEqual(pageErrors, [], 'no JavaScript errors on the pages');
});

describe('network admin pages', () => {
  test('walkthrough: Add New Webhook, save, Send Test Event, the receiver holds the signed request', async () => {
    await page.goto(NETWORK_ADMIN);
    await Promise.all([page.waitForNavigation(), page.click('#adminmenu a.menu-top:has-text("Webhooks")')]);
    assert.match(page.url(), /page=multisite-webhooks$/);
    assert.equal(await page.locator('h1').first().innerText(), 'Webhooks');
    await Promise.all([page.waitForNavigation(), page.click('a.page-title-action:has-text("Add New Webhook")')]);

    await page.fill('#mwh-name', 'Zapier: new sites');
    await page.fill('#mwh-webhook_url', receiver.url('/walk'));
    await page.fill('#mwh-events-filter', 'site created');
    await page.check('input[name="events[]"][value="site_created"]');
    // The example payload of the chosen event appears, pretty-printed, and follows the format.
    const example = page.locator('#mwh-examples .mwh-example[data-event="site_created"] pre');
    await example.waitFor();
    const catalogExample = wpJson('echo json_encode(MultisiteWebhooks\\Plugin::instance()->catalog()->example("site_created"));');
    assert.deepEqual(JSON.parse(await example.innerText()), catalogExample);
    assert.match(await example.innerText(), /\n {4}"/, 'pretty-printed');
    await page.check('input[name="payload_format"][value="envelope"]');
    assert.deepEqual(JSON.parse(await example.innerText()).data, catalogExample);
    await page.check('input[name="payload_format"][value="flat"]');
    await page.fill('#mwh-events-filter', '');
    await page.check('input[name="events[]"][value="site_deleted"]');
    assert.equal(await page.locator('#mwh-examples .mwh-example').count(), 2);
    await page.uncheck('input[name="events[]"][value="site_deleted"]');
    assert.equal(await page.locator('#mwh-examples .mwh-example').count(), 1);

    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.match(page.url(), /page=multisite-webhooks-edit&id=\d+/);
    assert.match(await page.locator('.notice-success').first().innerText(), /Webhook created/);
    const secret = await page.locator('#mwh-secret-value').inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    await receiver.addSecret(secret);
    await screenshot(page, 'edit-page');
    const [hook] = stored();
    assert.deepEqual([hook.name, hook.webhook_url, hook.events, hook.active], ['Zapier: new sites', receiver.url('/walk'), ['site_created'], true]);

    // The secret is shown once.
    await page.reload();
    assert.equal(await page.locator('#mwh-secret-value').count(), 0);

    const dialog = await sendTest(page.locator('.mwh-side .mwh-send-test'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'success');
    assert.match(await dialog.locator('.mwh-test-verdict').innerText(), /Success: the receiver answered HTTP 200 OK/);
    assert.equal(await dialog.locator('.mwh-test-status').innerText(), 'HTTP 200 OK');
    assert.match(await dialog.locator('.mwh-test-duration').innerText(), /^\d+ ms$/);
    assert.equal(await dialog.locator('.mwh-test-body').innerText(), 'ok');
    const sentHeaders = JSON.parse(await dialog.locator('.mwh-test-request-headers').textContent());
    assert.match(sentHeaders['webhook-signature'], /^v1,/);
    await screenshot(page, 'test-dialog', false);

    const [req] = await receiver.waitForPosts('/walk', 1);
    assert.equal(req.signature_valid, true, 'an independent Standard Webhooks verifier accepts it');
    assert.equal(req.headers['x-webhook-event'], 'site_created');
    assert.equal(req.headers['webhook-id'], sentHeaders['webhook-id']);
    assert.deepEqual(JSON.parse(req.body), catalogExample);

    // The test send is in the delivery log, marked as a test.
    await page.click('#mwh-test-dialog button[value="close"]');
    await page.goto(`${LOG}&tests=only&webhook_id=${hook.id}`);
    assert.equal(await page.locator('#the-list tr .mwh-badge-test').count(), 1);

    await page.goto(LIST);
    assert.equal(await page.locator('#the-list a.row-title').innerText(), 'Zapier: new sites');
    assert.match(await page.locator('#the-list td.column-status').innerText(), /Active/);
    await screenshot(page, 'list-page');
  });

  test('Send Test Event tells the truth: 500 and a closed port are failures with their reason, an empty 204 is a success', async () => {
    const port = await closedPort();
    createWebhook('Answers 500', receiver.url('/status/500'), ['site_created']);
    createWebhook('Closed port', `http://127.0.0.1:${port}/hook`, ['site_created']);
    createWebhook('Answers 204', receiver.url('/status/204'), ['user_registered']);
    await page.goto(LIST);

    let dialog = await sendTest(await rowTestButton('Answers 500'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'failure');
    assert.match(await dialog.locator('.mwh-test-verdict').innerText(), /Failed: the receiver answered HTTP 500 Internal Server Error/);
    assert.equal(await dialog.locator('.mwh-test-status').innerText(), 'HTTP 500 Internal Server Error');
    await screenshot(page, 'test-dialog-500', false);
    await page.click('#mwh-test-dialog button[value="close"]');

    dialog = await sendTest(await rowTestButton('Closed port'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'failure');
    assert.match(await dialog.locator('.mwh-test-verdict').innerText(), /^Failed: .*refused/i);
    assert.equal(await dialog.locator('.mwh-test-status').innerText(), 'none');
    assert.match(await dialog.locator('.mwh-test-error').innerText(), /refused/i);
    await screenshot(page, 'test-dialog-closed-port', false);
    await page.click('#mwh-test-dialog button[value="close"]');

    dialog = await sendTest(await rowTestButton('Answers 204'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'success');
    assert.match(await dialog.locator('.mwh-test-verdict').innerText(), /HTTP 204 No Content/);
    assert.equal(await dialog.locator('.mwh-test-body').innerText(), '(empty)');
    assert.equal(await dialog.locator('.mwh-test-event').innerText(), 'user_registered');

    assert.equal((await receiver.posts('/status/500')).length, 1);
    assert.equal((await receiver.posts('/status/204')).length, 1);
  });

  test('a real event: create a site, its delivery appears in the log with status and duration, Redeliver adds a second attempt', async () => {
    const hook = createWebhook('Site feed', receiver.url('/sites'), ['site_created']);
    await receiver.addSecret(hook.secret);
    const email = wpPhp('echo get_userdata(1)->user_email;').trim();
    const slug = `browser${Date.now() % 1000000}`;
    try {
      await page.goto(`${NETWORK_ADMIN}site-new.php`);
      await page.fill('#site-address', slug);
      await page.fill('#site-title', 'Made in the browser test');
      await page.fill('#admin-email', email);
      await Promise.all([page.waitForNavigation(), page.click('#add-site')]);
      // WordPress's own message (the plugin's notices, if any, come before it).
      assert.match(await page.locator('#message').innerText(), /Site added/);

      const [first] = await receiver.waitForPosts('/sites', 1);
      assert.equal(first.signature_valid, true);
      assert.ok(JSON.parse(first.body).site_url.includes(`/${slug}/`), 'the payload describes the new site');

      const rows = (p) => p.locator('#the-list tr', { has: p.locator('code', { hasText: 'site_created' }) });
      await reloadUntil(`${LOG}&webhook_id=${hook.id}`, rows, 1);
      const row = rows(page).first();
      assert.match(await row.locator('td.column-outcome').innerText(), /Delivered\s+HTTP 200/);
      assert.match(await row.locator('td.column-duration_ms').innerText(), /^\d+ ms$/);
      assert.match(await row.locator('td.column-attempt').innerText(), /^#1/);
      await screenshot(page, 'delivery-log');

      await Promise.all([page.waitForNavigation(), row.locator('td.column-date_created > a').click()]);
      assert.match(await page.locator('#mwh-delivery').innerText(), /site_created/);
      assert.equal(await page.locator('#mwh-delivery').innerText().then((t) => t.includes(first.headers['webhook-id'])), true);
      await Promise.all([page.waitForNavigation(), page.click('#mwh-redeliver')]);
      assert.match(await page.locator('.notice-success').first().innerText(), /1 delivery queued again/);

      const both = await receiver.waitForPosts('/sites', 2);
      assert.equal(both[1].headers['webhook-id'], first.headers['webhook-id'], 'a redelivery keeps the webhook-id');
      assert.equal(both[1].signature_valid, true);
      await reloadUntil(`${LOG}&webhook_id=${hook.id}`, rows, 2);
      assert.equal(await rows(page).locator('.mwh-badge:has-text("redelivery")').count(), 1);
    } finally {
      wpPhp(`$s = get_site_by_path(${phpString(new URL(BASE).hostname)}, "/${slug}/"); if ($s) { require_once ABSPATH . "wp-admin/includes/ms.php"; wpmu_delete_blog((int) $s->blog_id, true); }`);
    }
  });

  test('delivery log: filter to what failed for good, then Redeliver all failed sends it again', async () => {
    // Four attempts (the fixtures retry after 1, 2 and 3 s) all answered 500; the fifth request succeeds.
    const hook = createWebhook('Flaky CRM', receiver.url('/seq/500,500,500,500,200'), ['test_ping']);
    await receiver.addSecret(hook.secret);
    createWebhook('Healthy', receiver.url('/healthy'), ['test_ping']);
    const emitted = await (await fetch(`${BASE}/?mwh_e2e_emit=7`)).json();
    const attempts = await receiver.waitForPosts('/seq/500,500,500,500,200', 4, 30000);
    assert.equal(new Set(attempts.map((r) => r.headers['webhook-id'])).size, 1);
    const failed = (p) => p.locator('#the-list tr', { has: p.locator('.mwh-status-bad', { hasText: /^Failed$/ }) });
    await reloadUntil(`${LOG}&webhook_id=${hook.id}`, failed, 1);

    // The admin narrows the log with the filter controls, then redelivers what is shown.
    await page.goto(LOG);
    await page.selectOption('#mwh-filter-status', 'failed');
    await page.selectOption('#mwh-filter-webhook', String(hook.id));
    await Promise.all([page.waitForNavigation(), page.click('#mwh-filter-submit')]);
    assert.match(page.url(), /filter_action=/);
    assert.equal(await page.locator('#the-list tr').count(), 1, 'only the final failure is listed');
    assert.match(await page.locator('#the-list td.column-attempt').innerText(), /^#4/);
    page.once('dialog', (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.click('#mwh-redeliver-range')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /1 delivery queued again/);
    const all = await receiver.waitForPosts('/seq/500,500,500,500,200', 5);
    assert.equal(all[4].headers['webhook-id'], emitted.id, 'the same message, so the receiver can tell a repeat');
    assert.equal(all[4].signature_valid, true);
    assert.equal((await receiver.posts('/healthy')).length, 1, 'the healthy webhook got the event once and no redelivery');
    const delivered = (p) => p.locator('#the-list tr', { has: p.locator('.mwh-status-ok', { hasText: 'Delivered' }) });
    await reloadUntil(`${LOG}&webhook_id=${hook.id}`, delivered, 1);
    // Nothing failed for good remains undelivered: a second click sends nothing.
    await page.goto(`${LOG}&webhook_id=${hook.id}&status=failed`);
    page.once('dialog', (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.click('#mwh-redeliver-range')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /0 deliveries queued again/);
  });

  test('list: search, bulk deactivate / activate / delete; rotate the secret', async () => {
    const a = createWebhook('Zapier new customers', receiver.url('/a'), ['site_created']);
    createWebhook('CRM sync', receiver.url('/b'), ['user_registered']);
    createWebhook('Slack alerts', receiver.url('/c'), ['site_deleted']);
    await page.goto(LIST);
    await page.fill('#mwh-search-search-input', 'crm');
    await Promise.all([page.waitForNavigation(), page.click('#search-submit')]);
    assert.deepEqual(await page.locator('#the-list a.row-title').allInnerTexts(), ['CRM sync']);

    await page.goto(LIST);
    for (const name of ['Zapier new customers', 'Slack alerts']) {
      await page.locator('#the-list tr', { has: page.locator('a.row-title', { hasText: name }) }).locator('th.check-column input').check();
    }
    await page.selectOption('#bulk-action-selector-top', 'deactivate');
    await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /2 webhooks deactivated/);
    assert.deepEqual(stored().map((h) => [h.name, h.active]), [['Zapier new customers', false], ['CRM sync', true], ['Slack alerts', false]]);

    await page.locator('#cb-select-all-1').check();
    await page.selectOption('#bulk-action-selector-top', 'activate');
    await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /3 webhooks activated/);
    assert.ok(stored().every((h) => h.active));

    // Rotating: a new secret is shown once; the old one keeps signing beside it.
    await page.goto(`${EDIT}&id=${a.id}`);
    page.once('dialog', (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Rotate secret")')]);
    const rotated = await page.locator('#mwh-secret-value').inputValue();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, a.secret);
    assert.match(await page.locator('.mwh-box', { hasText: 'Signing secret' }).innerText(), /The previous secret also signs until/);
    await receiver.addSecret(rotated);
    const dialog = await sendTest(page.locator('.mwh-side .mwh-send-test'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'success');
    const sig = (await receiver.waitForPosts('/a', 1))[0].headers['webhook-signature'];
    assert.equal(sig.split(' ').length, 2, 'signed with the new and the previous secret');

    await page.goto(LIST);
    await page.locator('#cb-select-all-1').check();
    await page.selectOption('#bulk-action-selector-top', 'delete');
    await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /3 webhooks deleted/);
    assert.deepEqual(stored(), []);
  });

  test('validation: errors appear next to the field in plain words and nothing is saved', async () => {
    await page.goto(EDIT);
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.match(await page.locator('#mwh-error-name').innerText(), /name of at least 2 characters/);
    assert.match(await page.locator('#mwh-error-webhook_url').innerText(), /Enter the URL/);
    assert.match(await page.locator('#mwh-error-events').innerText(), /Choose at least one event/);
    assert.equal(await page.locator('#mwh-name').getAttribute('aria-invalid'), 'true');

    await page.fill('#mwh-name', 'Metadata thief');
    await page.fill('#mwh-webhook_url', 'ftp://example.com/');
    await page.check('input[name="events[]"][value="site_created"]');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.match(await page.locator('#mwh-error-webhook_url').innerText(), /must start with http:\/\/ or https:\/\//);
    assert.equal(await page.locator('#mwh-error-name').count(), 0);
    assert.equal(await page.locator('#mwh-name').inputValue(), 'Metadata thief', 'the values posted are kept');
    assert.equal(await page.locator('input[name="events[]"][value="site_created"]').isChecked(), true);

    for (const [url, why] of [['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 \(link-local/], ['http://10.1.2.3/hook', /10\.1\.2\.3 \(private/], ['http://[::1]:8080/', /::1 \(loopback/]]) {
      await page.fill('#mwh-webhook_url', url);
      await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
      const error = await page.locator('#mwh-error-webhook_url').innerText();
      assert.match(error, /refused because it is not on the public internet/);
      assert.match(error, why);
      assert.match(error, /MULTISITE_WEBHOOKS_SSRF_ALLOW/);
      assert.doesNotMatch(error, /ssrf_allow|ssrf:/, 'in the admin\'s words, not the engine\'s');
    }
    assert.deepEqual(stored(), []);
  });

  test('a webhook named <script>alert(1)</script> renders as text everywhere', async () => {
    const name = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const url = receiver.url('/x?q=%3Cscript%3Ealert(3)%3C/script%3E');
    let alerts = 0;
    page.on('dialog', async (d) => { alerts++; await d.dismiss(); });
    await page.goto(EDIT);
    await page.fill('#mwh-name', name);
    await page.fill('#mwh-webhook_url', url);
    await page.check('input[name="events[]"][value="site_created"]');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.equal(await page.locator('#mwh-name').inputValue(), name);
    assert.equal(stored()[0].name, name, 'stored exactly as written');

    await page.goto(LIST);
    assert.equal(await page.locator('#the-list a.row-title').innerText(), name);
    assert.equal(await page.locator('#the-list code.mwh-url').getAttribute('title'), url);
    await page.goto(LOG);
    assert.equal(await page.locator(`#mwh-filter-webhook option:has-text("${name.slice(0, 8)}")`).innerText(), name);
    assert.equal(alerts, 0, 'no script ran');
    // Playwright's text selectors skip <script>, so look at the markup itself.
    for (const url of [LIST, `${LOG}&webhook_id=${stored()[0].id}`, `${EDIT}&id=${stored()[0].id}`]) {
      await page.goto(url);
      assert.equal(await page.evaluate(() => [...document.scripts].some((s) => s.textContent.includes('alert(1)'))), false, `${url}: no script of ours`);
      assert.doesNotMatch(await page.content(), /<script>alert\(1\)|<img src=x/, `${url}: escaped`);
    }
    assert.equal(alerts, 0, 'no script ran');
  });

  test('without a valid nonce, or as a logged-in non-super-admin, every action is refused and nothing changes', async () => {
    const hook = createWebhook('Guarded', receiver.url('/guarded'), ['site_created']);
    const before = stored();
    const request = page.context().request;
    const secretsBefore = wpPhp(`echo json_encode(MultisiteWebhooks\\Plugin::instance()->webhooks()->get(${hook.id}, true)["secrets"]);`);

    // Forged or missing nonces, as the super admin.
    const forged = [
      request.post(`${EDIT}&id=${hook.id}`, { form: { mwh_action: 'save', _wpnonce: 'bad', name: 'Changed', webhook_url: receiver.url('/evil'), 'events[]': 'site_created' } }),
      request.post(`${EDIT}&id=${hook.id}`, { form: { mwh_action: 'rotate', _wpnonce: 'bad' } }),
      request.post(`${EDIT}&id=${hook.id}`, { form: { mwh_action: 'delete' } }),
      request.get(`${LIST}&action=delete&id=${hook.id}&_wpnonce=bad`),
      request.get(`${LIST}&action=deactivate&ids[]=${hook.id}`),
      request.post(`${LOG}`, { form: { action: 'redeliver_range', _wpnonce: 'bad' } }),
      request.get(`${LOG}&action=redeliver_one&delivery=1&_wpnonce=bad`),
      request.get(`${LOG}&action=redeliver&deliveries[]=1`),
    ];
    for (const r of await Promise.all(forged)) {
      assert.equal(r.status(), 403, `${r.url()} refused`);
    }
    const ajax = await request.post(`${BASE}/wp-admin/admin-ajax.php`, { form: { action: 'multisite_webhooks_send_test', _ajax_nonce: 'bad', webhook_id: String(hook.id) } });
    assert.equal(ajax.status(), 403);
    assert.equal((await ajax.json()).success, false);

    // A site administrator who is not a super admin, with nonces of their own.
    const login2 = `siteadmin${Date.now() % 100000}`;
    const password = `pw-${Math.random().toString(36).slice(2)}-Aa1`;
    const userId = wpPhp(`$id = wp_create_user(${phpString(login2)}, ${phpString(password)}, ${phpString(login2 + '@example.test')}); add_user_to_blog(1, $id, "administrator"); echo $id;`).trim();
    const second = await launch();
    try {
      const p2 = await second.context.newPage();
      await login(p2, login2, password);
      const nonce = async (action) => (await (await p2.context().request.get(`${BASE}/?mwh_e2e_nonce=${action}`)).text()).trim();
      const r1 = await p2.goto(LIST);
      assert.equal(r1.status(), 403, 'the network admin page is refused');
      assert.doesNotMatch(await p2.content(), /Guarded|\/guarded/);
      const r2 = await p2.context().request.post(`${BASE}/wp-admin/admin-ajax.php`, { form: { action: 'multisite_webhooks_send_test', _ajax_nonce: await nonce('multisite_webhooks_ajax'), webhook_id: String(hook.id) } });
      assert.equal(r2.status(), 403);
      const body = await r2.text();
      assert.match(body, /Only network administrators can send test events/, 'refused by the plugin\'s own capability check');
      assert.doesNotMatch(body, /Guarded|guarded|127\.0\.0\.1/, 'a refusal tells nothing about the webhooks');
      const r3 = await p2.context().request.post(`${EDIT}&id=${hook.id}`, { form: { mwh_action: 'save', _wpnonce: await nonce(`multisite_webhooks_save_${hook.id}`), name: 'Changed', webhook_url: receiver.url('/evil'), 'events[]': 'site_created' } });
      assert.equal(r3.status(), 403);
      const r4 = await p2.context().request.get(`${LIST}&action=delete&id=${hook.id}&_wpnonce=${await nonce(`multisite_webhooks_delete_${hook.id}`)}`);
      assert.equal(r4.status(), 403);
    } finally {
      await second.close();
      wpPhp(`require_once ABSPATH . "wp-admin/includes/ms.php"; wpmu_delete_user(${Number(userId)});`);
    }

    // Anonymous: admin-ajax.php has nothing for logged-out callers.
    const anon = await fetch(`${BASE}/wp-admin/admin-ajax.php`, { method: 'POST', body: new URLSearchParams({ action: 'multisite_webhooks_send_test', webhook_id: String(hook.id) }) });
    assert.equal(anon.status, 400);

    assert.deepEqual(stored(), before, 'nothing changed');
    assert.equal(wpPhp(`echo json_encode(MultisiteWebhooks\\Plugin::instance()->webhooks()->get(${hook.id}, true)["secrets"]);`), secretsBefore);
    assert.equal((await receiver.requests()).filter((r) => r.method === 'POST').length, 0, 'nothing was sent');
  });

  test('an endpoint that answers 410 Gone is disabled: the list says why and a network admin notice asks for attention', async () => {
    const hook = createWebhook('Gone away', receiver.url('/status/410'), ['test_ping']);
    const emitted = await (await fetch(`${BASE}/?mwh_e2e_emit=1`)).json();
    assert.match(emitted.id, /^msg_/);
    await receiver.waitForPosts('/status/410', 1);
    const status = (p) => p.locator('#the-list td.column-status .mwh-status-bad');
    await reloadUntil(LIST, status, 1);
    assert.match(await page.locator('#the-list td.column-status').innerText(), /Disabled\s+\S.*410/s);
    const notice = page.locator('.multisite-webhooks-notice', { hasText: 'Gone away' });
    assert.match(await notice.innerText(), /The webhook "Gone away" was disabled: .*410/);
    // Saving without ticking Active (a rename) keeps it disabled; ticking Active turns it on.
    await page.goto(`${EDIT}&id=${hook.id}`);
    assert.match(await page.locator('.notice-error', { hasText: 'This webhook was disabled' }).innerText(), /Tick "Active" and save to turn it on again/);
    assert.equal(await page.locator('#mwh-active').isChecked(), false, 'Active starts unticked');
    await page.fill('#mwh-name', 'Gone away (renamed)');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    await page.goto(LIST);
    assert.match(await page.locator('#the-list td.column-status').innerText(), /Disabled/);
    await page.goto(`${EDIT}&id=${hook.id}`);
    await page.check('#mwh-active');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    await page.goto(LIST);
    assert.match(await page.locator('#the-list td.column-status').innerText(), /^Active$/);
    assert.equal(await page.locator('.multisite-webhooks-notice', { hasText: 'Gone away' }).count(), 0);
  });

  test('health, events reference, Ultimate Multisite menu, narrow screens', async () => {
    createWebhook('Narrow', receiver.url('/narrow'), ['site_created', 'user_registered']);
    await page.goto(`${NETWORK_ADMIN}admin.php?page=multisite-webhooks-health`);
    const health = await page.locator('#mwh-health').innerText();
    assert.match(health, /Mode\s+FFI/);
    assert.match(health, /Engine library\s+\S+libmultisite_webhooks\.so \d+\.\d+\.\d+/);
    assert.match(health, /Delivering process\s+process \d+/);
    assert.match(health, /Queue depth\s+\d+/);
    assert.match(health, /Last error\s+none/);

    await page.goto(`${NETWORK_ADMIN}admin.php?page=multisite-webhooks-events`);
    const rows = page.locator('.mwh-events-table tbody tr');
    const catalog = wpJson('echo json_encode(array_column(MultisiteWebhooks\\Plugin::instance()->catalog()->all(), "source", "slug"));');
    assert.equal(await rows.count(), Object.keys(catalog).length);
    const ping = page.locator('#mwh-event-test_ping');
    assert.match(await ping.innerText(), /Test Ping\s+test_ping\s+Raised by the end-to-end tests\.\s+Custom code/);
    const um = page.locator('#mwh-event-payment_received');
    assert.match(await um.innerText(), /Ultimate Multisite/);
    await um.locator('summary').click();
    assert.match(await um.locator('.mwh-fields').innerText(), /payment_id/);
    assert.match(await page.locator('#mwh-event-site_created').innerText(), /WordPress/);

    // The list page links to the reference instead of repeating it.
    await page.goto(LIST);
    assert.equal(await page.locator('.mwh-events-table').count(), 0);
    await Promise.all([page.waitForNavigation(), page.click('.mwh-events-link a')]);
    assert.match(page.url(), /page=multisite-webhooks-events$/);
    await page.goto(LIST);
    // Ultimate Multisite's menu leads here instead of to its own Webhooks page.
    assert.equal(await page.locator('#toplevel_page_wp-ultimo a[href*="page=multisite-webhooks"]').count(), 1);
    assert.equal(await page.locator('#toplevel_page_wp-ultimo a[href*="page=wp-ultimo-webhooks"]').count(), 0);

    await page.setViewportSize({ width: 375, height: 800 });
    for (const [url, name] of [[LIST, 'list-narrow'], [`${EDIT}&id=${stored()[0].id}`, 'edit-narrow']]) {
      await page.goto(url);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name}: no sideways scrolling (overflow ${overflow}px)`);
      await screenshot(page, name, false);
    }
    await page.goto(LIST);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(height < 2600, `the list with one webhook is a page, not a catalogue, on a phone (${height}px)`);
  });
});

describe('credentials, the walkthrough of the guide, details', () => {
  const TOKEN = 'tok-Zz91secret';
  const BEARER = 'Bearer b-5ecret-77';

  test('a header of its own and a token in the URL: set on the form, sent on every request, shown nowhere', async () => {
    await page.goto(EDIT);
    await page.fill('#mwh-name', 'CRM with a key');
    await page.fill('#mwh-webhook_url', receiver.url(`/crm?token=${TOKEN}`));
    await page.fill('input[name="headers[0][name]"]', 'Authorization');
    await page.fill('input[name="headers[0][value]"]', BEARER);
    await page.click('#mwh-add-header');
    await page.fill('input[name="headers[1][name]"]', 'X-Tenant');
    await page.fill('input[name="headers[1][value]"]', 'acme');
    await page.check('input[name="events[]"][value="test_ping"]');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.match(await page.locator('.notice-success').first().innerText(), /Webhook created/);
    await receiver.addSecret(await page.locator('#mwh-secret-value').inputValue());
    await page.reload();
    // Saved values never come back into the page: the names do, the values are empty.
    assert.equal(await page.locator('input[name="headers[0][name]"]').inputValue(), 'Authorization');
    assert.equal(await page.locator('input[name="headers[0][value]"]').inputValue(), '');
    assert.match(await page.locator('input[name="headers[0][value]"]').getAttribute('placeholder'), /saved/);
    assert.ok(!(await page.content()).includes(BEARER), 'the edit page holds no saved header value');
    await screenshot(page, 'edit-headers');

    const dialog = await sendTest(page.locator('.mwh-side .mwh-send-test'));
    assert.equal(await dialog.getAttribute('data-outcome'), 'success');
    assert.equal(await dialog.locator('.mwh-test-url').innerText(), receiver.url('/crm?token=***'));
    assert.ok(!(await dialog.innerText()).includes(TOKEN) && !(await dialog.innerText()).includes(BEARER), 'the test dialog shows no credential');
    const [got] = await receiver.waitForPosts(`/crm?token=${TOKEN}`, 1);
    assert.equal(got.headers.authorization, BEARER);
    assert.equal(got.headers['x-tenant'], 'acme');
    assert.equal(got.signature_valid, true);
    await page.click('#mwh-test-dialog button[value="close"]');

    // Saving the form again, the value left empty, keeps it.
    await page.fill('#mwh-name', 'CRM with a key (renamed)');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    const [hook] = wpJson('echo json_encode(array_map(fn ($h) => MultisiteWebhooks\\Plugin::instance()->webhooks()->get($h["id"], true), MultisiteWebhooks\\Plugin::instance()->webhooks()->list()));');
    assert.deepEqual(hook.headers, { Authorization: BEARER, 'X-Tenant': 'acme' });
    assert.equal(hook.webhook_url, receiver.url(`/crm?token=${TOKEN}`));

    for (const url of [LIST, `${LOG}&webhook_id=${hook.id}`]) {
      await page.goto(url);
      const html = await page.content();
      assert.ok(!html.includes(TOKEN) && !html.includes(BEARER), `${url} shows no credential`);
    }
    await page.goto(LIST);
    assert.equal(await page.locator('#the-list td.column-webhook_url code').innerText(), receiver.url('/crm?token=***'));
    await screenshot(page, 'list-masked-url');
  });

  test('walkthrough without Ultimate Multisite: its events greyed; Send Test shows its payload; the list shows the last test apart from deliveries', async () => {
    const mu = wpPhp('echo WPMU_PLUGIN_DIR;').trim();
    const catalogFile = `${mu}/mwh-e2e-um-catalog.json`;
    const aside = `${catalogFile}.aside`;
    renameSync(catalogFile, aside);
    try {
      await page.goto(EDIT);
      await page.fill('#mwh-events-filter', 'payment');
      const absent = page.locator('.mwh-event-absent:visible');
      assert.ok(await absent.count() >= 3, 'filtering for "payment" shows Ultimate Multisite\'s payment events');
      const received = page.locator('.mwh-event-absent', { has: page.locator('input[value="payment_received"]') });
      assert.match(await received.innerText(), /Payment Received[\s\S]*Raised when Ultimate Multisite is active\./);
      assert.equal(await received.locator('input').isDisabled(), true);
      await screenshot(page, 'events-without-ultimate-multisite', false);
    } finally {
      renameSync(aside, catalogFile);
    }

    const hook = createWebhook('Walkthrough', receiver.url('/walk-test'), ['test_ping']);
    await receiver.addSecret(hook.secret);
    await page.goto(`${EDIT}&id=${hook.id}`);
    await page.selectOption('#mwh-test-event', 'test_ping');
    const dialog = await sendTest(page.locator('.mwh-side .mwh-send-test'));
    const [got] = await receiver.waitForPosts('/walk-test', 1);
    assert.deepEqual(JSON.parse(await dialog.locator('.mwh-test-payload').innerText()), JSON.parse(got.body), 'the dialog shows the payload it sent');
    await screenshot(page, 'test-dialog-payload', false);

    await page.goto(LIST);
    const row = page.locator('#the-list tr', { has: page.locator('a.row-title', { hasText: 'Walkthrough' }) });
    assert.match(await row.locator('td.column-date_last_delivery .mwh-last-test').innerText(), /^last test: 200 OK, \d+ (seconds?|mins?) ago$/);
    assert.equal(await row.locator('td.column-event_count').innerText(), '0', 'a test is not a delivery');
    await screenshot(page, 'list-last-test', false);

    // Every page says what it is for in its Help tab.
    for (const slug of ['multisite-webhooks', 'multisite-webhooks-edit', 'multisite-webhooks-log', 'multisite-webhooks-events', 'multisite-webhooks-health', 'multisite-webhooks-import']) {
      await page.goto(`${NETWORK_ADMIN}admin.php?page=${slug}`);
      await page.click('#contextual-help-link');
      const help = page.locator('#tab-panel-mwh-help-overview');
      await help.waitFor({ state: 'visible' });
      assert.ok((await help.innerText()).length > 80, `${slug}: the Help tab explains the page`);
      if (slug === 'multisite-webhooks') await screenshot(page, 'help-tab', false);
    }
  });

  test('details: one toggle per row, the Edit page is titled so, focus goes to the first error, hidden webhooks are shown marked', async () => {
    const shown = createWebhook('Shown', receiver.url('/shown'), ['test_ping']);
    const hidden = wpJson(`$p = MultisiteWebhooks\\Plugin::instance(); echo json_encode($p->operations()->saveWebhook(null, ["name" => "Made by Zapier",
      "webhook_url" => ${phpString(receiver.url('/zap'))}, "events" => ["*"], "hidden" => true, "integration" => "zapier"]));`);
    wpPhp('hooks_emit("test_ping", ["n" => 1]);');
    await receiver.waitForPosts('/zap', 1);
    await page.setViewportSize({ width: 600, height: 900 });
    await page.goto(LIST);
    for (const id of [shown.id, hidden.id]) {
      assert.equal(await page.locator(`#the-list tr:has(input[value="${id}"]) .toggle-row`).count(), 1, 'one "Show more details" toggle per row');
    }
    const zap = page.locator('#the-list tr', { has: page.locator('a.row-title', { hasText: 'Made by Zapier' }) });
    assert.equal(await zap.locator('.mwh-badge-hidden').innerText(), 'hidden');
    await zap.locator('.toggle-row').click();
    assert.equal(await zap.getAttribute('class').then((c) => /is-expanded/.test(c)), true);
    await screenshot(page, 'list-toggle-and-hidden', false);
    await reloadUntil(LOG, (p) => p.locator('#the-list tr'), 1);
    const logRows = await page.locator('#the-list tr').count();
    assert.equal(await page.locator('#the-list tr .toggle-row').count(), logRows, 'one toggle per row in the log too');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.goto(`${EDIT}&id=${shown.id}`);
    assert.match(await page.title(), /^Edit Webhook ‹/);
    await page.goto(EDIT);
    assert.match(await page.title(), /^Add New Webhook ‹/);

    await page.fill('#mwh-name', 'Focus');
    await page.fill('#mwh-webhook_url', 'ftp://example.com/');
    await page.check('input[name="events[]"][value="test_ping"]');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'mwh-webhook_url', 'focus is on the first field in error');
    await page.fill('#mwh-webhook_url', receiver.url('/focus'));
    await page.fill('input[name="headers[0][name]"]', 'Content-Type');
    await page.fill('input[name="headers[0][value]"]', 'text/plain');
    await Promise.all([page.waitForNavigation(), page.click('#mwh-save')]);
    assert.match(await page.locator('#mwh-error-headers').innerText(), /Content-Type is set by the plugin itself/);
    assert.equal(await page.evaluate(() => document.activeElement.name), 'headers[0][name]', 'focus is in the headers in error');
    await screenshot(page, 'edit-error-focus', false);
  });
});
