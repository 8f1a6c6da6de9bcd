/**
 * Parallel coordinates on a canvas, for the sweep view and the experiments table: one vertical
 * axis per quantity (its range written at both ends), one polyline per item through its values
 * scaled to each axis, highlighted items drawn last and thicker.
 */
import { withAlpha, type Palette } from './theme';

export interface ParallelAxis {
  label: string;
  min: number;
  max: number;
  format(v: number): string;
}

export interface ParallelLine {
  /** One value per axis, scaled to 0..1 on it (NaN: no value, the line breaks there). */
  values: number[];
  highlight?: boolean;
  /** A colour of its own (a group's); default the theme's student colour. */
  color?: string;
}

/** Scales `v` to 0..1 on an axis (the middle when the axis has a single value). */
export function onAxis(v: number, a: Pick<ParallelAxis, 'min' | 'max'>): number {
  if (!Number.isFinite(v)) return NaN;
  return a.max > a.min ? (v - a.min) / (a.max - a.min) : 0.5;
}

export function drawParallel(canvas: HTMLCanvasElement, axes: readonly ParallelAxis[], lines: readonly ParallelLine[], palette: Palette): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 500;
  const hgt = canvas.clientHeight || 260;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  // Below each axis: its minimum, then its name, on separate lines.
  const top = 24;
  const bottom = hgt - 40;
  // Room for the outermost labels, which are centred on their axis.
  const left = Math.min(60, w / 8);
  const right = w - left;
  const xAt = (i: number) => (axes.length > 1 ? left + ((right - left) * i) / (axes.length - 1) : (left + right) / 2);
  const yAt = (v: number) => bottom - v * (bottom - top);
  ctx.font = `12px ${palette.font}`;
  ctx.textAlign = 'center';
  axes.forEach((a, i) => {
    ctx.strokeStyle = palette.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(xAt(i), top);
    ctx.lineTo(xAt(i), bottom);
    ctx.stroke();
    ctx.fillStyle = palette.foreground;
    ctx.fillText(a.label, xAt(i), hgt - 6);
    ctx.fillStyle = palette.muted;
    ctx.fillText(a.format(a.max), xAt(i), top - 8);
    ctx.fillText(a.format(a.min), xAt(i), bottom + 14);
  });
  const draw = (l: ParallelLine) => {
    ctx.strokeStyle = l.highlight ? palette.good : withAlpha(l.color ?? palette.student, 0.6);
    ctx.lineWidth = l.highlight ? 3 : 1.5;
    ctx.beginPath();
    let pen = false;
    l.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return void (pen = false);
      if (pen) ctx.lineTo(xAt(i), yAt(v));
      else ctx.moveTo(xAt(i), yAt(v));
      pen = true;
    });
    ctx.stroke();
  };
  lines.filter((l) => !l.highlight).forEach(draw);
  lines.filter((l) => l.highlight).forEach(draw);
}
