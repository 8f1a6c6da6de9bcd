/** The workbench's colour theme, picked as a person does: the palette's exact command label (its first row for "Color Theme" may be the marketplace's). */
import type { UiContext } from './context';

export async function setTheme(ctx: UiContext, theme: string): Promise<void> {
  const { page } = ctx;
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('>Preferences: Color Theme');
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) })
    .first()
    .click();
  await input.fill(theme);
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${theme}$`) }) })
    .first()
    .click();
  // The new theme's colours reach the webviews a moment later.
  await page.waitForTimeout(800);
}
