/** chart.js plugins of our line charts: error bars (a setting's sd over seeds) and vertical marks (where a stage begins). */
import { Chart, type Plugin } from 'chart.js';

export type ErrorBarsDataset = { errorBars?: number[]; hideInLegend?: boolean; borderColor?: unknown; hidden?: boolean };

/** Draws each dataset's `errorBars` (± per point) as vertical whiskers with caps, in the line's colour. */
export const errorBarsPlugin: Plugin<'line'> = {
  id: 'distilleryErrorBars',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    const y = chart.scales.y;
    chart.data.datasets.forEach((ds, i) => {
      const errors = (ds as ErrorBarsDataset).errorBars;
      const meta = chart.getDatasetMeta(i);
      if (!errors || meta.hidden) return;
      ctx.save();
      ctx.strokeStyle = String((ds as ErrorBarsDataset).borderColor);
      ctx.lineWidth = 1.5;
      meta.data.forEach((pt, k) => {
        const e = errors[k];
        const v = (ds.data[k] as { y: number } | undefined)?.y;
        if (!(e > 0) || typeof v !== 'number') return;
        const top = y.getPixelForValue(v + e);
        const bottom = y.getPixelForValue(v - e);
        ctx.beginPath();
        ctx.moveTo(pt.x, top);
        ctx.lineTo(pt.x, bottom);
        ctx.moveTo(pt.x - 4, top);
        ctx.lineTo(pt.x + 4, top);
        ctx.moveTo(pt.x - 4, bottom);
        ctx.lineTo(pt.x + 4, bottom);
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

/** Vertical marks at x (where a stage begins on an offset step axis), per chart. */
export const chartMarks = new WeakMap<Chart, { x: number; label: string }[]>();

/** Draws each mark as a dashed vertical line with its label at the top, in the tick colour. */
export const marksPlugin: Plugin<'line'> = {
  id: 'distilleryMarks',
  afterDatasetsDraw(chart) {
    const marks = chartMarks.get(chart as unknown as Chart);
    const x = chart.scales.x;
    if (!marks?.length || !x) return;
    const { ctx, chartArea: area } = chart;
    ctx.save();
    const color = String((x.options as { ticks?: { color?: unknown } }).ticks?.color ?? Chart.defaults.color);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    ctx.font = `11px ${Chart.defaults.font.family}`;
    ctx.textBaseline = 'top';
    for (const m of marks) {
      const px = x.getPixelForValue(m.x);
      if (!(px >= area.left && px <= area.right)) continue;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillText(m.label, px + 3, area.top + 2);
    }
    ctx.restore();
  },
};
