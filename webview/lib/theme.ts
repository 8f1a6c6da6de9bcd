/**
 * Chart colours from the VS Code theme. VS Code sets `--vscode-*` variables on <html> and a
 * class (vscode-light, vscode-dark, vscode-high-contrast, vscode-high-contrast-light) on
 * <body>; a theme switch changes the class, and we re-read the colours then.
 */
export interface Palette {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  font: string;
  /** Distinct series colours, the theme's chart colours first. */
  series: string[];
  good: string;
  bad: string;
  teacher: string;
  student: string;
  baseline: string;
}

const FALLBACK = {
  light: { foreground: '#333333', muted: '#717171', grid: '#e5e5e5', background: '#ffffff' },
  dark: { foreground: '#cccccc', muted: '#9d9d9d', grid: '#3c3c3c', background: '#1f1f1f' },
};

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(): Palette['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.documentElement);
  const kind = themeKind();
  const f = kind === 'light' || kind === 'high-contrast-light' ? FALLBACK.light : FALLBACK.dark;
  const v = (name: string, fb: string) => cssVar(style, name, fb);
  const blue = v('--vscode-charts-blue', '#3794ff');
  const red = v('--vscode-charts-red', '#f14c4c');
  const green = v('--vscode-charts-green', '#89d185');
  const yellow = v('--vscode-charts-yellow', '#cca700');
  const orange = v('--vscode-charts-orange', '#d18616');
  const purple = v('--vscode-charts-purple', '#b180d7');
  const foreground = v('--vscode-foreground', f.foreground);
  return {
    kind,
    foreground,
    muted: v('--vscode-descriptionForeground', f.muted),
    grid: kind.startsWith('high-contrast') ? v('--vscode-contrastBorder', foreground) : v('--vscode-editorWidget-border', v('--vscode-panel-border', f.grid)),
    background: v('--vscode-editor-background', f.background),
    font: v('--vscode-font-family', 'system-ui, sans-serif'),
    series: [blue, orange, green, purple, red, yellow, foreground],
    good: green,
    bad: red,
    teacher: purple,
    student: blue,
    baseline: orange,
  };
}

/** Calls `onChange` with a fresh palette whenever the body's theme class changes. */
export function watchTheme(onChange: (p: Palette) => void): MutationObserver {
  let last = document.body.className;
  const observer = new MutationObserver(() => {
    if (document.body.className === last) return;
    last = document.body.className;
    onChange(readPalette());
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return observer;
}

/** `#rrggbb`/`rgb()` → the same colour at `alpha` opacity, for fills and heat maps. */
export function withAlpha(color: string, alpha: number): string {
  const a = Math.max(0, Math.min(1, alpha));
  const hex = /^#([0-9a-f]{3,8})$/i.exec(color.trim());
  if (hex) {
    let s = hex[1];
    if (s.length === 3 || s.length === 4) s = [...s].map((c) => c + c).join('');
    const r = parseInt(s.slice(0, 2), 16);
    const g = parseInt(s.slice(2, 4), 16);
    const b = parseInt(s.slice(4, 6), 16);
    return `rgba(${r}, ${g}, ${b}, ${a})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color.trim());
  if (rgb) {
    const [r, g, b] = rgb[1].split(/[ ,/]+/);
    return `rgba(${r}, ${g}, ${b}, ${a})`;
  }
  return color;
}
