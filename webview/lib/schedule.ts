/**
 * Redraws at most once per `minIntervalMs` (10 a second by default) and only in an animation
 * frame, however many messages arrive: a 1 000-steps-a-second engine must not make the view
 * spend its time drawing.
 */
export function throttledRender(render: () => void, minIntervalMs = 100): () => void {
  let scheduled = false;
  let last = -Infinity;
  const run = () => {
    scheduled = false;
    last = performance.now();
    render();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    const wait = Math.max(0, last + minIntervalMs - performance.now());
    const frame = () => (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible' ? requestAnimationFrame(run) : run());
    if (wait > 0) setTimeout(frame, wait);
    else frame();
  };
}
