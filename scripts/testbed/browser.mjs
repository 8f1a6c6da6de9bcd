// Headless Chromium (Debian's) driven by playwright-core, and the few workbench gestures the
// tests need: wait for the workbench, run a command from the palette, find our webviews.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser({ headless = true } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}; run: npm run testbed:install (or set CHROMIUM_PATH)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'distillery-chromium-'));
  // A fresh profile each time; playwright wants it as launchPersistentContext's argument.
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless,
      timeout: 60_000,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch((err) => {
      fs.rmSync(profile, { recursive: true, force: true });
      throw err;
    });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the workbench URL and waits until the workbench is on screen. */
export async function openWorkbench(page, url, { timeoutMs = 90_000 } = {}) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page
    .locator('.monaco-workbench')
    .waitFor({ state: 'visible', timeout: timeoutMs })
    .catch(() => {
      throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for the VS Code workbench (.monaco-workbench) at ${url}`);
    });
}

/** Runs a command by its title from the command palette (F1), as a person would. */
export async function runCommand(page, title, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => {
    throw new Error(`Timed out waiting for the command palette after F1`);
  });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => {
    throw new Error(`Command "${title}" did not appear in the command palette within ${timeoutMs / 1000}s`);
  });
  await page.keyboard.press('Enter');
}

/** Opens a file by name with Quick Open (Ctrl+P) and waits for its editor tab. */
export async function quickOpen(page, fileName, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(fileName);
  const exact = new RegExp(`^${fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first();
  const found = await row.waitFor({ state: 'visible', timeout: timeoutMs }).then(
    () => true,
    () => false,
  );
  if (found) {
    await row.click();
  } else {
    // Quick Open's file search can lag far behind on a loaded 2-core machine (its progress bar
    // still running after 15 s, seen in CI); the Explorer lists root files without searching.
    await page.keyboard.press('Escape');
    const item = page
      .locator('.explorer-folders-view .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exact }) })
      .first();
    await item.waitFor({ state: 'visible', timeout: timeoutMs }).catch(() => {
      throw new Error(`"${fileName}" appeared neither in Quick Open nor in the Explorer within ${timeoutMs / 1000}s each (is it in the workspace?)`);
    });
    await item.click();
  }
  // Several editor groups may each show kd.json as their active tab (an earlier check split the editor).
  await page
    .locator('.tabs-container .tab.active .label-name', { hasText: exact })
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs })
    .catch(() => {
      throw new Error(`The editor tab for "${fileName}" did not become active within ${timeoutMs / 1000}s`);
    });
}

/** The inner document of one of our webviews (outer iframe.webview, inner #active-frame). */
export function webviewFrame(page, extensionId = 'distillery.distillery') {
  return page.frameLocator(`iframe.webview[src*="extensionId=${extensionId}"]`).frameLocator('iframe#active-frame');
}
