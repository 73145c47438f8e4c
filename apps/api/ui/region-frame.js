// A flow definition's region on the chart: the frame of one step inside EXECUTING (or of its
// compensation inside COMPENSATING), with a header that says which step, how it stands, and its
// badges ("pivot", "undo 2", "no compensation"). Its inner states are drawn as ordinary leaves.
import { s } from './dom.js';

const BADGE_CHAR_W = 6.9; // 12px bold
const NAME_CHAR_W = 8.2; // 14.5px semibold
const STATUS_CHAR_W = 6.5; // 12px

function badge(text, cls, right) {
  const width = Math.ceil(text.length * BADGE_CHAR_W + 14);
  return {
    width,
    el: s(
      'g',
      {
        class: `region-badge ${cls}`,
        'data-badge': cls,
        transform: `translate(${right - width},8)`,
      },
      s('rect', { width, height: 20, rx: 10 }),
      s('text', { x: width / 2, y: 14.5, 'text-anchor': 'middle' }, text),
    ),
  };
}

/**
 * The frame of region `id` laid out in `box`. `info` (optional, from the page): { tone, status,
 * badges: [{ text, cls }], phase } — `phase` is the region's inner state at the moment shown.
 */
export function regionFrame(id, box, info, attrs, { stub = false, current = false } = {}) {
  const n = box.node;
  let right = box.width - 8;
  const badges = [];
  for (const b of info?.badges ?? []) {
    const made = badge(b.text, b.cls, right);
    right -= made.width + 6;
    badges.push(made.el);
  }
  const room = right - 14;
  const status = info?.status ?? (stub ? 'nothing to undo' : '');
  const fit = (text, charW, width) =>
    text.length * charW > width ? { textLength: width, lengthAdjust: 'spacingAndGlyphs' } : {};
  return s(
    'g',
    {
      ...attrs,
      class: `${attrs.class} region${stub ? ' is-stub' : ''}`,
      'data-region': n.label,
      'data-phase': info?.phase ?? null,
    },
    s('title', null, `${id}${status ? ` — ${status}` : ''}`),
    current
      ? s('rect', {
          class: 'halo',
          x: -5,
          y: -5,
          width: box.width + 10,
          height: box.height + 10,
          rx: 15,
        })
      : null,
    s('rect', { class: 'frame region-frame', width: box.width, height: box.height, rx: 12 }),
    s('text', { class: 'region-label', x: 12, y: 23, ...fit(n.label, NAME_CHAR_W, room) }, n.label),
    status
      ? s(
          'text',
          {
            class: 'region-status',
            x: 12,
            y: 41,
            ...fit(status, STATUS_CHAR_W, box.width - 24),
          },
          status,
        )
      : null,
    badges,
    current
      ? s(
          'g',
          { class: 'now', transform: `translate(${box.width - 44},-11)` },
          s('rect', { width: 50, height: 20, rx: 10 }),
          s('text', { x: 25, y: 14.5, 'text-anchor': 'middle' }, 'NOW'),
        )
      : null,
  );
}
