// Keeping the state that matters in view when the chart is larger than its panel.

/**
 * Where to scroll one axis of a box of `client` pixels so that [lo, hi] (the state) is in view
 * with as much as fits of [fromLo, fromHi] (the state the saga came from); null: no change.
 */
function scrollAxis(client, scroll, lo, hi, fromLo, fromHi) {
  if (scroll <= client) return null;
  const start = Math.min(lo, fromLo ?? lo) - 24;
  const end = Math.max(hi, fromHi ?? hi) + 24;
  if (end - start <= client) return Math.max(0, start - (client - (end - start)) / 2);
  // Both do not fit: the state itself, with the side the saga came from as far as it goes.
  const cameFromBefore = fromLo !== null && fromLo < lo;
  return Math.max(0, cameFromBefore ? hi + 24 - client : lo - 24);
}

/**
 * Scrolls an overflowing diagram box so that the state `id` is in view, with as much as fits of
 * the state the saga came from (`from`), so that the last transition can be read. Both axes:
 * the fitted chart scrolls down, the 1:1 chart sideways.
 */
export function scrollToState(box, layout, id, from = null) {
  const b = id ? layout.boxes.get(id) : null;
  const svg = box.querySelector('svg');
  if (!b || !svg) return;
  const scale = svg.getBoundingClientRect().width / layout.width;
  const a = from ? (layout.boxes.get(from) ?? null) : null;
  const top = scrollAxis(
    box.clientHeight,
    box.scrollHeight,
    b.y * scale,
    (b.y + b.height) * scale,
    a ? a.y * scale : null,
    a ? (a.y + a.height) * scale : null,
  );
  if (top !== null) box.scrollTop = top;
  const left = scrollAxis(
    box.clientWidth,
    box.scrollWidth,
    b.x * scale,
    (b.x + b.width) * scale,
    a ? a.x * scale : null,
    a ? (a.x + a.width) * scale : null,
  );
  if (left !== null) box.scrollLeft = left;
}

/** The first step's state of a definition's chart (where a saga starts executing). */
export function firstStepState(machine) {
  return machine.nodes.find((n) => n.kind === 'step')?.id ?? null;
}
