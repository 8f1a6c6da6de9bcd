/**
 * Who a run is, where a view names it: its automatic label (what differs from its sibling runs,
 * and its short id: "T4 α0.7 · #68c7"), the tags and note a person gave it, and the git state
 * it started from. The experiments table puts the bits in its name cell; the dashboard header
 * gets one line under its title (and the person's name as its title).
 */
import type { ExperimentRow } from '../../src/protocol/experiments';
import type { RunIdentity } from '../../src/protocol/webviewMessages';
import { h, replace, text } from '../lib/dom';

function tagChips(tags: readonly string[] | undefined): HTMLElement[] {
  return (tags ?? []).map((t) => h('span', { class: 'tag run-tag', 'data-tag': t }, `#${t}`));
}

/** The experiments table's name cell after the name: the label, the tags, the note as a marker with its text as tooltip. */
export function runIdentityBits(r: Pick<ExperimentRow, 'autoLabel' | 'tags' | 'note'>): (HTMLElement | string)[] {
  const out: (HTMLElement | string)[] = [];
  if (r.autoLabel) out.push(' ', h('span', { class: 'muted small auto-label', 'data-testid': 'auto-label' }, r.autoLabel));
  for (const chip of tagChips(r.tags)) out.push(' ', chip);
  if (r.note) out.push(' ', h('span', { class: 'muted note-mark', title: r.note, 'aria-label': `note: ${r.note}`, 'data-testid': 'note' }, '✎'));
  return out;
}

/**
 * The dashboard header's identity line, made once and refreshed on every header render: called
 * after the header's title is set, so a person's name for the run replaces the kd.json's there.
 */
export function renderRunIdentity(header: HTMLElement, identity: RunIdentity | undefined): void {
  let line = header.querySelector<HTMLElement>('[data-testid=run-identity]');
  if (!line) {
    line = h('div', { class: 'facts run-identity', 'data-testid': 'run-identity' });
    header.firstElementChild?.after(line);
  }
  line.hidden = !identity;
  if (!identity) return;
  const title = header.querySelector<HTMLElement>('[data-testid=run-name]');
  if (title && identity.name) text(title, identity.name);
  const bits: (HTMLElement | string)[] = [h('span', { 'data-testid': 'auto-label' }, identity.autoLabel)];
  for (const chip of tagChips(identity.tags)) bits.push(' ', chip);
  if (identity.git) bits.push(' · ', h('span', { 'data-testid': 'git', title: "the workspace's commit when the run started" }, `git ${identity.git}`));
  if (identity.problem) bits.push(' · ', h('span', { class: 'error' }, identity.problem));
  if (identity.note) bits.push(h('div', { class: 'run-note', 'data-testid': 'note' }, identity.note));
  replace(line, ...bits);
}
