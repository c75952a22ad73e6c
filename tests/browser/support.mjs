// Shared setup of the browser tests: the local multisite of tools/wp, a recording receiver,
// PHP run inside WordPress, and Chromium driven by playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT = join(ROOT, 'tests', 'output', 'browser');
const STATE = process.env.MWH_STATE || '/var/lib/mwh-dev';

export const env = JSON.parse(readFileSync(join(STATE, 'env.json'), 'utf8'));
export const BASE = env.MWH_URL.replace(/\/$/, '');
export const NETWORK_ADMIN = `${BASE}/wp-admin/network/`;
export const ADMIN_PASSWORD = readFileSync(env.MWH_ADMIN_PASSWORD_FILE, 'utf8').split('\n')[0];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs PHP code inside WordPress (tools/wp/wp-php.sh -r) and returns what it printed. */
export function wpPhp(code, url = env.MWH_URL) {
  return execFileSync(join(ROOT, 'tools/wp/wp-php.sh'), [`--url=${url}`, '-r', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs PHP code whose last output line is JSON, and decodes it. */
export function wpJson(code, url) {
  const lines = wpPhp(code, url).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Restarts the PHP-FPM workers and waits until WordPress answers again. */
export async function reloadFpm() {
  const pid = parseInt(readFileSync(join(STATE, 'run/php-fpm.pid'), 'utf8'), 10);
  process.kill(pid, 'SIGUSR2');
  const end = Date.now() + 20000;
  while (Date.now() < end) {
    await sleep(200);
    try {
      const r = await fetch(`${BASE}/`);
      if (r.status === 200) return;
    } catch { /* not up yet */ }
  }
  throw new Error('PHP-FPM did not come back after a reload');
}

/** Installs the test-only must-use plugin (test_ping, Ultimate Multisite stand-ins, fast retries). */
export async function installFixtures() {
  const mu = join(env.WP_CONTENT_DIR, 'mu-plugins');
  mkdirSync(mu, { recursive: true });
  copyFileSync(join(ROOT, 'tests/wp/fixtures/mwh-e2e-fixtures.php'), join(mu, 'mwh-e2e-fixtures.php'));
  copyFileSync(join(ROOT, 'tests/wp/fixtures/ultimate-multisite-events.json'), join(mu, 'mwh-e2e-um-catalog.json'));
  await reloadFpm();
}

/** Removes them again, leaving the network as the demo knows it. */
export async function removeFixtures() {
  const mu = join(env.WP_CONTENT_DIR, 'mu-plugins');
  for (const f of ['mwh-e2e-fixtures.php', 'mwh-e2e-um-catalog.json']) {
    if (existsSync(join(mu, f))) unlinkSync(join(mu, f));
  }
  await reloadFpm();
}

/** Deletes every webhook. */
export function deleteAllWebhooks() {
  wpPhp('foreach (MultisiteWebhooks\\Plugin::instance()->webhooks()->list() as $h) { MultisiteWebhooks\\Plugin::instance()->webhooks()->delete($h["id"]); }');
}

/** Creates a webhook directly (for tests about other pages); returns {id, secret}. */
export function createWebhook(name, url, events) {
  const fields = JSON.stringify({ name, webhook_url: url, events, active: true });
  return wpJson(`$p = MultisiteWebhooks\\Plugin::instance();
    $f = $p->webhooks()->validate(json_decode(${phpString(fields)}, true), false, [$p->catalog(), "has"]);
    if (is_wp_error($f)) { fwrite(STDERR, implode("; ", $f->get_error_messages())); exit(1); }
    echo json_encode($p->webhooks()->create($f));`);
}

/** A PHP single-quoted string literal. */
export function phpString(s) {
  return `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The recording receiver of tests/support/receiver.py on a free port. */
export class Receiver {
  static async start() {
    const dir = mkdtempSync(join(tmpdir(), 'mwh-receiver-'));
    const portFile = join(dir, 'port');
    const proc = spawn('python3', [join(ROOT, 'tests/support/receiver.py'), '--port', '0', '--port-file', portFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    const end = Date.now() + 15000;
    while (Date.now() < end) {
      if (existsSync(portFile)) {
        const port = parseInt(readFileSync(portFile, 'utf8'), 10);
        if (port > 0) return new Receiver(proc, port, dir);
      }
      if (proc.exitCode !== null) throw new Error('receiver exited before listening');
      await sleep(20);
    }
    proc.kill();
    throw new Error('receiver: no port after 15 s');
  }

  constructor(proc, port, dir) {
    this.proc = proc;
    this.port = port;
    this.dir = dir;
  }

  url(path) {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async addSecret(secret) {
    const r = await fetch(this.url('/_secrets'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret }) });
    if (!r.ok) throw new Error(`receiver refused the secret: ${r.status}`);
  }

  async requests() {
    return (await fetch(this.url('/_requests'))).json();
  }

  async posts(path) {
    return (await this.requests()).filter((r) => r.method === 'POST' && r.path === path);
  }

  /** Waits for at least `n` POSTs on `path`. */
  async waitForPosts(path, n, timeoutMs = 20000) {
    const end = Date.now() + timeoutMs;
    let got = [];
    while (Date.now() < end) {
      got = await this.posts(path);
      if (got.length >= n) return got;
      await sleep(100);
    }
    throw new Error(`waited ${timeoutMs} ms for ${n} request(s) on ${path}, got ${got.length}`);
  }

  stop() {
    this.proc.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Headless Debian Chromium in a fresh profile. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'mwh-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** Logs `user` in through wp-login.php. */
export async function login(page, user = env.MWH_ADMIN_USER, password = ADMIN_PASSWORD) {
  await page.goto(`${BASE}/wp-login.php`);
  await page.fill('#user_login', user);
  await page.fill('#user_pass', password);
  await Promise.all([page.waitForNavigation(), page.click('#wp-submit')]);
  if (await page.locator('#login_error').count()) {
    throw new Error(`login of ${user} failed: ${await page.locator('#login_error').innerText()}`);
  }
}

/** Saves a screenshot (of the whole page, or of what is in view) under tests/output/browser/. */
export async function screenshot(page, name, fullPage = true) {
  mkdirSync(OUTPUT, { recursive: true });
  const path = join(OUTPUT, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

export { sleep };
