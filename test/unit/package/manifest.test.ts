import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// The Marketplace's categories (VS Code's extension manifest schema).
const CATEGORIES = new Set([
  'Programming Languages',
  'Snippets',
  'Linters',
  'Themes',
  'Debuggers',
  'Formatters',
  'Keymaps',
  'SCM Providers',
  'Other',
  'Extension Packs',
  'Language Packs',
  'Data Science',
  'Machine Learning',
  'Visualization',
  'Notebooks',
  'Education',
  'Testing',
  'AI',
  'Chat',
]);

describe('package.json: the extension manifest', () => {
  it('activates on kd.json files, its views and commands only: no JSON file, no startup', () => {
    const events: string[] = manifest.activationEvents;
    assert.deepEqual(
      events.filter((e) => e === '*' || e.startsWith('onLanguage:') || e === 'onStartupFinished'),
      [],
      'activation events that fire for anyone',
    );
    for (const e of events.filter((x) => x.startsWith('workspaceContains:'))) assert.match(e, /^workspaceContains:\*\*\/(\*\.)?kd\.json$/);
    for (const e of events.filter((x) => x.startsWith('onWebviewPanel:'))) assert.match(e, /^onWebviewPanel:distillery\./);
    assert.deepEqual(
      events.filter((e) => !/^(workspaceContains|onWebviewPanel):/.test(e)),
      [],
      'commands and views activate implicitly (VS Code ≥ 1.74); nothing else should',
    );
  });

  it('has what the Marketplace shows: icon, repository, bugs, homepage, license, keywords, categories, banner', () => {
    assert.equal(manifest.license, 'MIT');
    assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.ok(fs.existsSync(path.join(ROOT, 'CHANGELOG.md')));
    assert.equal(manifest.icon, 'media/icon.png', 'the package build rasterises media/icon.svg to it');
    assert.ok(fs.existsSync(path.join(ROOT, 'media', 'icon.svg')));
    assert.match(manifest.repository.url, /^https:\/\//);
    assert.match(manifest.bugs.url, /^https:\/\//);
    assert.match(manifest.homepage, /^https:\/\//);
    assert.ok(manifest.keywords.length >= 3 && manifest.keywords.length <= 30, 'the Marketplace takes at most 30 keywords');
    assert.deepEqual(
      manifest.categories.filter((c: string) => !CATEGORIES.has(c)),
      [],
    );
    assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(manifest.galleryBanner.theme));
  });

  it('walks a newcomer through kd.json, a run, the verdict and a sweep: each step a command link and media', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    const commands = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    assert.deepEqual(
      walkthrough.steps.map((s: { id: string }) => s.id),
      ['kdjson', 'startRun', 'verdict', 'sweep'],
    );
    for (const step of walkthrough.steps) {
      const links = [...step.description.matchAll(/\]\(command:([\w.]+)\)/g)].map((m) => m[1]);
      assert.ok(links.length > 0, `step ${step.id} has no command link`);
      for (const id of links) assert.ok(commands.has(id), `step ${step.id} links to ${id}, which is not a contributed command`);
      const media = step.media.markdown ?? step.media.image;
      assert.ok(media && fs.existsSync(path.join(ROOT, media)), `step ${step.id}'s media ${media} is missing`);
    }
  });
});
