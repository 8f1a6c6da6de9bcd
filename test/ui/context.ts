/**
 * What scripts/test-ui.mjs hands each UI check: a page showing the real VS Code workbench
 * (code-server 1.99.3 in headless Chromium) with Distillery installed as an ordinary
 * extension, the opened workspace, and the gestures a person would use.
 */
import type { Page } from 'playwright-core';

export interface UiContext {
  page: Page;
  /** The opened workspace folder (a fresh copy; runs write into it). */
  workspace: string;
  /** Saves a screenshot to test-results/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** F1, type the title, Enter. */
  runCommand(title: string): Promise<void>;
  /** Quick Open a workspace file by exact name and wait for its editor tab. */
  quickOpen(fileName: string): Promise<void>;
  /** Polls until `check` returns a truthy value; fails naming `what` after the timeout. */
  waitFor<T>(what: string, check: () => T | Promise<T>, opts?: { timeoutMs?: number; intervalMs?: number }): Promise<NonNullable<T>>;
  log(message: string): void;
}

export interface UiCheck {
  name: string;
  run(ctx: UiContext): Promise<void>;
}
