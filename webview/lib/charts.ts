/**
 * chart.js, set up once for the webviews: tree-shaken registration, no animation (live data
 * redraws ten times a second), our own LTTB decimation to about one point per pixel, and
 * colours from the VS Code theme re-applied on a theme switch.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { chartMarks, errorBarsPlugin, marksPlugin, type ErrorBarsDataset } from './chartPlugins';
import { lttb } from './decimate';
import { withAlpha, type Palette } from './theme';

Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  BarController,
  BarElement,
  ScatterController,
  Legend,
  Tooltip,
  Filler,
);

export interface LineSpec {
  label: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  color: string;
  dash?: number[];
  /** Draw points (short series such as per-epoch accuracy). */
  points?: boolean;
  width?: number;
  /** Points to highlight (the best trial), by index into xs. */
  highlight?: number[];
  /** Error bars: ± this much around each y (a setting's sd over seeds), drawn as whiskers with caps. */
  errors?: ArrayLike<number>;
  /** Fill from this line down to the one before it (a band: the lower edge first, then the upper with `fillToPrevious`). */
  fillToPrevious?: boolean;
  /** Left out of the legend (a band's lower edge). */
  hideInLegend?: boolean;
}

export interface AxisOptions {
  xTitle: string;
  yTitle: string;
  percent?: boolean;
  /** A difference of accuracies (a fraction) in signed points; the range always shows 0. */
  points?: boolean;
  log?: boolean;
  yMin?: number;
  yMax?: number;
  xInteger?: boolean;
}

/** Tick labels without float noise: 0.00104, 1.2e-5, 2.4. */
export function shortNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e5 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

const live = new Set<{ applyPalette(p: Palette): void }>();

export function applyPaletteToAll(p: Palette): void {
  setDefaults(p);
  for (const c of live) c.applyPalette(p);
}

function setDefaults(p: Palette): void {
  Chart.defaults.color = p.foreground;
  Chart.defaults.borderColor = p.grid;
  Chart.defaults.font.family = p.font;
  Chart.defaults.font.size = 12;
}

function scaleColors(p: Palette) {
  return { grid: { color: p.grid }, border: { color: p.grid } };
}

/** About one point per CSS pixel of width: more would be drawn on top of each other. */
function budget(canvas: HTMLCanvasElement): number {
  return Math.max(200, Math.round((canvas.clientWidth || 600) * 1.5));
}

export class LineChart {
  readonly chart: Chart<'line', { x: number; y: number }[]>;

  constructor(
    readonly canvas: HTMLCanvasElement,
    axes: AxisOptions,
    palette: Palette,
  ) {
    setDefaults(palette);
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: [errorBarsPlugin, marksPlugin],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        spanGaps: true,
        interaction: { mode: 'nearest', intersect: false },
        plugins: {
          legend: {
            labels: {
              boxWidth: 12,
              boxHeight: 2,
              color: palette.foreground,
              filter: (item, data) => !(data.datasets[item.datasetIndex ?? 0] as ErrorBarsDataset).hideInLegend,
            },
          },
          tooltip: {
            callbacks: {
              label: (ctx) =>
                `${ctx.dataset.label}: ${axes.percent ? `${(ctx.parsed.y! * 100).toFixed(2)}%` : axes.points ? `${(ctx.parsed.y! * 100).toFixed(2)} pts` : Number(ctx.parsed.y!.toPrecision(4))}`,
            },
          },
        },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: axes.xTitle, color: palette.foreground },
            ticks: { color: palette.muted, precision: axes.xInteger ? 0 : undefined },
            ...scaleColors(palette),
          },
          y: {
            type: axes.log ? 'logarithmic' : 'linear',
            title: { display: true, text: axes.yTitle, color: palette.foreground },
            min: axes.yMin,
            max: axes.yMax,
            // A fitted accuracy axis keeps a little room above and below its data, and never leaves 0–100 %.
            afterDataLimits:
              axes.percent && axes.yMin === undefined && axes.yMax === undefined
                ? (scale) => {
                    const pad = (scale.max - scale.min) * 0.1 || 0.01;
                    scale.min = Math.max(0, scale.min - pad);
                    scale.max = Math.min(1, scale.max + pad);
                  }
                : axes.points
                  ? (scale) => {
                      const lo = Math.min(0, scale.min);
                      const hi = Math.max(0, scale.max);
                      const pad = (hi - lo) * 0.1 || 0.01;
                      scale.min = lo - pad;
                      scale.max = hi + pad;
                    }
                  : undefined,
            ...scaleColors(palette),
            ticks: {
              color: palette.muted,
              callback: axes.percent
                ? (v) => `${Math.round(Number(v) * 1000) / 10}%`
                : axes.points
                  ? (v) => `${Number(v) > 0 ? '+' : Number(v) < 0 ? '−' : ''}${Math.abs(Math.round(Number(v) * 1000) / 10)}`
                  : (v) => shortNumber(Number(v)),
            },
          },
        },
      },
    });
    canvas.dataset.yScale = axes.log ? 'logarithmic' : 'linear';
    live.add(this);
  }

  setLines(lines: LineSpec[]): void {
    const n = budget(this.canvas);
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = lines.map((l) => {
      const data = lttb(l.xs, l.ys, n);
      const hl = new Set(l.highlight ?? []);
      const radius = l.highlight?.length ? data.map((_, i) => (hl.has(i) ? 6 : 3)) : l.points ? 3 : 0;
      // Whiskers only where every point was kept (a decimated line has no per-point spread to show).
      const errorBars = l.errors && data.length === l.errors.length ? Array.from(l.errors) : undefined;
      return {
        errorBars,
        hideInLegend: l.hideInLegend,
        fill: l.fillToPrevious ? '-1' : false,
        label: l.label,
        data,
        borderColor: l.color,
        backgroundColor: l.fillToPrevious ? withAlpha(l.color, 0.15) : l.color,
        borderDash: l.dash,
        borderWidth: l.width ?? 2,
        pointRadius: radius,
        pointHoverRadius: 5,
        tension: 0,
      };
    });
    this.chart.data.datasets = datasets;
    this.chart.update('none');
    // What each line is drawn as, for tests (every line its own colour) and diagnostics.
    this.canvas.dataset.lines = JSON.stringify(lines.filter((l) => !l.hideInLegend).map((l) => ({ label: l.label, color: l.color, dash: l.dash ?? [] })));
    // The y range drawn, for tests and diagnostics (an accuracy axis fits its data, it is not always 0–100 %).
    const y = this.chart.scales.y;
    if (y && Number.isFinite(y.min) && Number.isFinite(y.max)) {
      this.canvas.dataset.yMin = String(y.min);
      this.canvas.dataset.yMax = String(y.max);
    }
  }

  /** Vertical marks (stage boundaries), drawn with the next redraw. */
  setMarks(marks: { x: number; label: string }[]): void {
    chartMarks.set(this.chart as unknown as Chart, marks);
  }

  /** Switches the y axis between linear and logarithmic (loss charts); redraws when it changes. */
  setLogScale(log: boolean): void {
    const y = this.chart.options.scales!.y!;
    const type = log ? 'logarithmic' : 'linear';
    if (y.type === type) return;
    (y as { type: string }).type = type;
    this.chart.update('none');
    this.canvas.dataset.yScale = type;
  }

  get pointCount(): number {
    return this.chart.data.datasets.reduce((a, d) => a + d.data.length, 0);
  }

  applyPalette(p: Palette): void {
    const o = this.chart.options;
    const sc = scaleColors(p);
    Object.assign(o.scales!.x!, { grid: sc.grid, border: sc.border });
    Object.assign(o.scales!.y!, { grid: sc.grid, border: sc.border });
    o.scales!.x!.ticks!.color = p.muted;
    o.scales!.y!.ticks!.color = p.muted;
    (o.scales!.x as { title: { color: string } }).title.color = p.foreground;
    (o.scales!.y as { title: { color: string } }).title.color = p.foreground;
    o.plugins!.legend!.labels!.color = p.foreground;
    this.chart.update('none');
  }

  destroy(): void {
    live.delete(this);
    this.chart.destroy();
  }
}

export interface BarSpec {
  label: string;
  values: number[];
  color: string;
}

export class BarChart {
  readonly chart: Chart<'bar', number[], string>;

  constructor(
    readonly canvas: HTMLCanvasElement,
    opts: { xTitle: string; yTitle: string; percent?: boolean; yMax?: number },
    palette: Palette,
  ) {
    setDefaults(palette);
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { labels: { boxWidth: 12, color: palette.foreground } },
          tooltip: {
            callbacks: {
              label: (ctx) => `${ctx.dataset.label}: ${opts.percent ? `${((ctx.parsed.y ?? 0) * 100).toFixed(2)}%` : (ctx.parsed.y ?? 0).toPrecision(4)}`,
            },
          },
        },
        scales: {
          x: { title: { display: true, text: opts.xTitle, color: palette.foreground }, ticks: { color: palette.muted }, ...scaleColors(palette) },
          y: {
            min: 0,
            max: opts.yMax,
            title: { display: true, text: opts.yTitle, color: palette.foreground },
            ...scaleColors(palette),
            ticks: { color: palette.muted, callback: opts.percent ? (v) => `${Math.round(Number(v) * 100)}%` : undefined },
          },
        },
      },
    });
    live.add(this);
  }

  setBars(labels: string[], bars: BarSpec[]): void {
    this.chart.data.labels = labels;
    this.chart.data.datasets = bars.map((b) => ({ label: b.label, data: b.values, backgroundColor: b.color, borderColor: b.color, borderWidth: 1 }));
    this.chart.update('none');
  }

  applyPalette(p: Palette): void {
    const o = this.chart.options;
    for (const axis of [o.scales!.x!, o.scales!.y!]) {
      Object.assign(axis, { grid: { color: p.grid }, border: { color: p.grid } });
      axis.ticks!.color = p.muted;
      (axis as { title: { color: string } }).title.color = p.foreground;
    }
    o.plugins!.legend!.labels!.color = p.foreground;
    this.chart.update('none');
  }

  destroy(): void {
    live.delete(this);
    this.chart.destroy();
  }
}

/** Whether a canvas has any non-transparent pixel: for the `rendered` report and tests. */
export function canvasHasInk(canvas: HTMLCanvasElement): boolean {
  const ctx = canvas.getContext('2d');
  if (!ctx || !canvas.width || !canvas.height) return false;
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 16) if (data[i] !== 0) return true;
  return false;
}
