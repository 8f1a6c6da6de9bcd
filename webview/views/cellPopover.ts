/**
 * The samples of a clicked confusion cell, in a panel placed beside that cell (right of it,
 * else left, else under its row): thumbnails at an integer upscale, each model's top 3 classes,
 * and a "disagreements only" filter. Keyboard: the cell's Enter opens it with focus inside,
 * Tab walks the samples, Escape closes it and gives focus back to the cell.
 */
import type { ClassProbability, LogitsFile, PredictionsFile } from '../../src/protocol/webviewMessages';
import { cellSamples, disagreementsOnly, unstoredNote, type CellRef, type CellSample } from '../lib/cellSamples';
import { h, replace } from '../lib/dom';
import { storedThumbnail } from './thumbnails';

export interface PopoverInput {
  cell: CellRef;
  predictions?: PredictionsFile;
  logits?: LogitsFile;
  studentKey: 'student' | 'baseline';
  studentLabel: string;
  className: (i: number) => string;
}

/** Past this many samples the panel draws them in pages ("Show more"): a diagonal cell can hold thousands. */
const PAGE = 100;
const GAP = 8;
const WIDTH = 460;

export class CellPopover {
  readonly el = h('div', { class: 'cell-popover', role: 'dialog', 'data-testid': 'cell-popover', tabindex: -1 });
  private input?: PopoverInput;
  private anchor?: HTMLElement;
  private disagreeOnly = false;
  private limit = PAGE;

  constructor(
    private readonly host: HTMLElement,
    private readonly onClose: () => void,
  ) {
    this.el.hidden = true;
    this.el.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      this.onClose();
    });
    new ResizeObserver(() => this.place()).observe(host);
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Shows `input`'s cell beside `anchor`; a different cell starts with the filter off and one page. */
  open(input: PopoverInput, anchor: HTMLElement, focus: boolean): void {
    const same = this.input && sameCell(this.input.cell, input.cell) && this.input.studentKey === input.studentKey;
    if (!same) {
      this.disagreeOnly = false;
      this.limit = PAGE;
    }
    this.input = input;
    this.anchor = anchor;
    this.el.hidden = false;
    this.render();
    this.place();
    if (focus) this.el.focus({ preventScroll: true });
  }

  close(): void {
    this.el.hidden = true;
    this.input = undefined;
    this.anchor = undefined;
    this.el.replaceChildren();
  }

  private render(): void {
    const input = this.input!;
    const { cell, predictions, logits, studentLabel } = input;
    const name = input.className;
    const where = cell.model === 'diff' ? `changed between teacher and ${studentLabel}` : cell.model === 'teacher' ? 'teacher' : studentLabel;
    const title = `${where} · true ${name(cell.actual)}, predicted ${name(cell.predicted)}`;
    this.el.setAttribute('aria-label', `Samples: ${title}`);
    const close = h('vscode-button', { secondary: true, 'aria-label': 'Close', title: 'Close (Escape)', 'data-testid': 'popover-close' }, '✕');
    close.addEventListener('click', () => this.onClose());
    const header = h('div', { class: 'popover-head' }, h('h3', null, title), close);
    if (!predictions) {
      replace(this.el, header, h('p', { class: 'muted' }, 'predictions.json is not in this run folder, so the samples behind a cell cannot be listed.'));
      return;
    }
    const all = cellSamples(predictions, logits?.samples, cell, input.studentKey);
    const items = this.disagreeOnly ? disagreementsOnly(all) : all;
    const filter = h('vscode-checkbox', { label: `disagreements only (teacher ≠ ${studentLabel})`, 'data-testid': 'disagreements-only' });
    (filter as HTMLElement & { checked: boolean }).checked = this.disagreeOnly;
    filter.addEventListener('change', () => {
      this.disagreeOnly = (filter as HTMLElement & { checked: boolean }).checked;
      this.limit = PAGE;
      this.render();
      this.el.querySelector<HTMLElement>('[data-testid=disagreements-only]')?.focus();
    });
    const count = h(
      'span',
      { class: 'muted', 'data-testid': 'cell-sample-count', 'data-count': items.length, 'data-total': all.length },
      this.disagreeOnly ? `${items.length} of ${all.length} samples disagree` : `${all.length} sample${all.length === 1 ? '' : 's'}`,
    );
    const list = h('ul', { class: 'sample-grid', 'data-testid': 'cell-samples' });
    for (const s of items.slice(0, this.limit)) list.append(this.item(s));
    const more =
      items.length > this.limit
        ? h(
            'vscode-button',
            { secondary: true, 'data-testid': 'show-more' },
            `Show ${Math.min(PAGE, items.length - this.limit)} more (${this.limit} of ${items.length} shown)`,
          )
        : null;
    more?.addEventListener('click', () => {
      this.limit += PAGE;
      this.render();
    });
    const note = unstoredNote(items, logits?.samples);
    replace(
      this.el,
      header,
      h('div', { class: 'toolbar' }, filter, count),
      list,
      more,
      note ? h('p', { class: 'muted small', 'data-testid': 'unstored-note' }, note) : null,
    );
  }

  private item(s: CellSample): HTMLElement {
    const { className: name, studentLabel, logits } = this.input!;
    const label = `#${s.index}: true ${name(s.label)}, teacher ${name(s.teacher)}, ${studentLabel} ${name(s.student)}`;
    const thumb = s.stored >= 0 ? storedThumbnail(logits?.samples, s.stored, label) : undefined;
    const top = (who: string, model: string, classes: ClassProbability[]) =>
      h(
        'div',
        { class: 'top3', 'data-model': model },
        h('span', { class: 'who' }, who),
        classes.map(([c, p]) => h('span', { class: 'top-class', 'data-class': c, 'data-p': p }, `${name(c)} ${(p * 100).toFixed(1)}%`)),
      );
    return h(
      'li',
      { class: `sample${s.disagree ? ' disagree' : ''}`, tabindex: 0, 'data-position': s.position, 'data-index': s.index, 'aria-label': label },
      thumb ?? h('span', { class: 'nothumb', title: 'no thumbnail stored for this sample' }, '·'),
      h(
        'div',
        { class: 'sample-meta' },
        h('div', null, h('strong', null, `#${s.index}`), ` true ${name(s.label)}${s.note ? ` · ${s.note}` : ''}`),
        s.top
          ? [top('teacher', 'teacher', s.top.teacher), top(studentLabel === 'distilled student' ? 'student' : studentLabel, 'student', s.top.student)]
          : h('div', { class: 'muted small' }, `teacher ${name(s.teacher)} · ${studentLabel} ${name(s.student ?? NaN)}`),
      ),
    );
  }

  /** Beside the cell: to its right, else its left, else under its row; never past the view's edges. */
  private place(): void {
    if (!this.anchor || this.el.hidden) return;
    const host = this.host.getBoundingClientRect();
    const a = this.anchor.getBoundingClientRect();
    this.el.style.width = `${Math.min(WIDTH, this.host.clientWidth - 2 * GAP)}px`;
    const width = this.el.offsetWidth;
    let left = a.right - host.left + GAP;
    let top = a.top - host.top;
    if (left + width > this.host.clientWidth) {
      left = a.left - host.left - GAP - width;
      if (left < 0) {
        left = Math.min(Math.max(0, a.left - host.left), this.host.clientWidth - width);
        top = a.bottom - host.top + GAP;
      }
    }
    this.el.style.left = `${Math.max(0, left)}px`;
    this.el.style.top = `${Math.max(0, top)}px`;
  }
}

const sameCell = (a: CellRef, b: CellRef) => a.model === b.model && a.actual === b.actual && a.predicted === b.predicted;
