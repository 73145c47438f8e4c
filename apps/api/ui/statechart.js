// The statechart of a definition (the API's `machine` JSON), laid out by elkjs (layered, left to
// right, compound states with their children) and drawn as SVG. Which transitions are laid out
// is a choice: all of them, or a subset (a saga's own path plus the definition's main spine), so
// that the chart a person debugs a saga with is not a tangle of edges it never took.
// Highlighting is data passed in.
import { s } from './dom.js';
import { PHASE, STUB, flowLayoutPlan, parallelOptions, regionOptions } from './flow-layout.js';
import { edgeText } from './chart-edges.js';
import { regionFrame } from './region-frame.js';

export { spineEdgeIds } from './chart-edges.js';

const LEAF = { width: 188, height: 60 };
const TOP = { width: 156, height: 60 };
const STATUS_CHAR_W = 6.7; // node status lines, 12.5px
const LABEL_CHAR_W = 8; // node labels, 14px semibold

/** Narrows a rare over-long line to its box rather than letting it overflow. */
function fitText(text, charW, room) {
  return text.length * charW > room ? { textLength: room, lengthAdjust: 'spacingAndGlyphs' } : {};
}
const CHAR_W = 7.4; // edge labels, 13px
const LINE_H = 16;

/**
 * The two ways the chart is drawn. Fitted (the default): the flow runs top to bottom, so the
 * chart is about as wide as one column of steps and fits a panel at a readable size (scrolling
 * down, not sideways); the stylesheet scales it to the panel's width, never below 90 % (labels
 * stay >= 12.6 px). 1:1: the flow runs left to right at its natural size, scrolling sideways.
 */
export function chartDirection(fit) {
  return fit ? 'DOWN' : 'RIGHT';
}

/**
 * An edge that is laid out but never drawn, so that compensating comes after executing when no
 * drawn transition says so (the path of a saga that has not failed has none between them).
 */
function orderingEdges(byId, groups) {
  if (!byId.has('EXECUTING') || !byId.has('COMPENSATING')) return [];
  const within = (id, parent) => id === parent || id.startsWith(`${parent}.`);
  const ordered = [...groups].some(
    (g) => within(g.source, 'EXECUTING') && within(g.target, 'COMPENSATING'),
  );
  if (ordered) return [];
  return [
    { id: 'order-executing-compensating', sources: ['EXECUTING'], targets: ['COMPENSATING'] },
  ];
}

/**
 * Lays out `machine` once per choice of transitions; the result is drawn many times (time
 * travel only recolours). `only`: the ids of the transitions to lay out and draw (null: all).
 * `direction`: 'RIGHT' (left to right) or 'DOWN' (top to bottom), see chartDirection().
 */
export async function layoutStatechart(
  machine,
  { only = null, direction = 'RIGHT', steps = null } = {},
) {
  const byId = new Map(machine.nodes.map((n) => [n.id, n]));
  // A flow definition (parallel regions) is laid out by its steps' graph; `steps` says it.
  const plan = flowLayoutPlan(machine, steps);
  const shown = (id) => !plan || plan.shows(id);
  const children = new Map();
  for (const n of machine.nodes) {
    if (!shown(n.id)) continue;
    const list = children.get(n.parent ?? '') ?? [];
    list.push(n);
    children.set(n.parent ?? '', list);
  }
  const elkNode = (n) => {
    const kids = children.get(n.id);
    if (plan && n.type === 'parallel') {
      return { id: n.id, layoutOptions: parallelOptions(direction), children: kids.map(elkNode) };
    }
    if (plan && n.parent && byId.get(n.parent).type === 'parallel') {
      const layoutOptions = regionOptions(direction, plan.partition(n.id));
      if (!kids) return { id: n.id, ...STUB, layoutOptions };
      return { id: n.id, layoutOptions, children: kids.map(elkNode) };
    }
    if (n.kind === 'phase') return { id: n.id, ...PHASE };
    if (kids) {
      return {
        id: n.id,
        // Each compound lays out its own children: it needs the direction too.
        layoutOptions: {
          'elk.padding': '[top=44,left=24,bottom=24,right=24]',
          'elk.direction': direction,
        },
        children: kids.map(elkNode),
      };
    }
    const size = n.parent ? LEAF : TOP;
    const node = { id: n.id, width: size.width, height: size.height };
    // Where a failed compensation ends: after everything else, not beside STARTED.
    if (n.id === 'FAILED' || n.id === 'COMPENSATED')
      node.layoutOptions = { 'elk.layered.layering.layerConstraint': 'LAST' };
    return node;
  };
  // Parallel transitions (same source and target) are one arrow with one short label.
  const groups = new Map();
  const loops = new Map();
  for (const e of machine.edges) {
    if (only && !only.has(e.id)) continue;
    if (!shown(e.source) || !shown(e.target)) continue;
    const self = e.source === e.target;
    const into = self ? loops : groups;
    const key = self ? e.source : `${e.source}→${e.target}`;
    const g = into.get(key) ?? {
      id: `${self ? 'l' : 'g'}${into.size}`,
      source: e.source,
      target: e.target,
      edges: [],
      lines: [],
    };
    g.edges.push(e);
    // A transition that stays put is a failed attempt that will be retried.
    const text = self ? 'retry' : edgeText(e, byId);
    const quiet = !self && plan?.quiet(e.source, e.target);
    if (!quiet && !g.lines.includes(text)) g.lines.push(text);
    into.set(key, g);
  }
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction,
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.spacing.nodeNode': '44',
      'elk.layered.spacing.nodeNodeBetweenLayers': '52',
      'elk.spacing.edgeNode': '22',
      'elk.spacing.edgeEdge': '16',
      'elk.layered.spacing.edgeNodeBetweenLayers': '24',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '16',
      'elk.spacing.edgeLabel': '6',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
      'elk.padding': '[top=28,left=20,bottom=20,right=20]',
    },
    children: (children.get('') ?? []).map(elkNode),
    edges: [
      ...[...groups.values()].map((g) => ({
        id: g.id,
        sources: [g.source],
        targets: [g.target],
        labels: g.lines.length
          ? [
              {
                text: g.lines.join('\n'),
                width: Math.max(...g.lines.map((l) => l.length)) * CHAR_W + 8,
                height: g.lines.length * LINE_H + 4,
              },
            ]
          : [],
      })),
      ...orderingEdges(byId, groups.values()),
      ...(plan ? [...plan.dependencies, ...plan.ordering] : []).map((d) => ({
        id: d.id,
        sources: [d.from],
        targets: [d.to],
      })),
    ],
  };
  // elk.bundled.js is a classic script served from /ui/vendor (it defines window.ELK).
  const laid = await new window.ELK().layout(graph);
  const boxes = new Map();
  const collect = (n) => {
    if (n.id !== 'root')
      boxes.set(n.id, { x: n.x, y: n.y, width: n.width, height: n.height, node: byId.get(n.id) });
    (n.children ?? []).forEach(collect);
  };
  collect(laid);
  const groupById = new Map([...groups.values()].map((g) => [g.id, g]));
  const depById = new Map((plan?.dependencies ?? []).map((d) => [d.id, d]));
  const pointsOf = (e) => {
    const sec = e.sections?.[0];
    return sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
  };
  const edges = (laid.edges ?? [])
    .filter((e) => groupById.has(e.id))
    .map((e) => {
      const g = groupById.get(e.id);
      return {
        ...g,
        points: pointsOf(e),
        label: e.labels?.[0] ? { ...e.labels[0], lines: g.lines } : null,
      };
    });
  const dependencies = (laid.edges ?? [])
    .filter((e) => depById.has(e.id))
    .map((e) => ({ ...depById.get(e.id), points: pointsOf(e) }));
  // Retry loops sit on top of their state, small, so that they do not push the layout apart:
  // just right of the middle when the flow runs left to right, near the right end when it runs
  // down (arrows come in at the top's middle then).
  for (const l of loops.values()) {
    const b = boxes.get(l.source);
    if (!b) continue;
    const x = b.x + b.width * (direction === 'DOWN' ? 0.84 : 0.55);
    const y = b.y;
    edges.push({
      ...l,
      loop: true,
      points: [
        { x: x - 10, y: y - 1 },
        { x: x - 10, y: y - 16 },
        { x: x + 10, y: y - 16 },
        { x: x + 10, y: y + 1 },
      ],
      label: { x: x + 10, y: y - 26, lines: l.lines },
    });
  }
  return {
    width: laid.width,
    height: laid.height,
    boxes,
    edges,
    dependencies,
    plan,
    machine,
    direction,
    all: only === null,
    hidden: only ? machine.edges.filter((e) => !only.has(e.id)).length : 0,
  };
}

function polyline(points) {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/**
 * Draws the laid-out chart. `hl` (optional): { nodes: Map<id, { tone, visits: number[],
 * status }>, current: id, edges: Map<groupId, tone> }.
 */
export function renderStatechart(layout, hl = null) {
  const { width, height, boxes, edges } = layout;
  const defs = s(
    'defs',
    null,
    ['default', 'path', 'compensated', 'failed', 'comp-failed', 'dep'].map((tone) =>
      s(
        'marker',
        {
          id: `arrow-${tone}`,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrowhead tone-${tone}` }),
      ),
    ),
  );
  const compounds = [];
  const leaves = [];
  for (const [id, box] of boxes) {
    const n = box.node;
    const info = hl?.nodes.get(id);
    // A flow saga may be in several regions at once: each is current.
    const current = hl?.current === id || hl?.currents?.has(id) === true;
    const activeParent =
      hl?.current?.startsWith(`${id}.`) ||
      [...(hl?.currents ?? [])].some((c) => c.startsWith(`${id}.`));
    const cls = [
      'state',
      `type-${n.type}`,
      `kind-${n.kind}`,
      info?.tone ? `tone-${info.tone}` : 'tone-none',
      current ? 'is-current' : '',
      activeParent ? 'is-active-parent' : '',
      info?.now ? 'is-phase-now' : '',
    ].join(' ');
    const attrs = {
      class: cls,
      'data-state': id,
      'data-tone': info?.tone ?? 'none',
      'data-visits': info?.visits?.join(' ') ?? '',
      'data-current': current ? 'true' : null,
      transform: `translate(${box.x},${box.y})`,
    };
    const region = layout.plan && n.parent && boxes.get(n.parent)?.node.type === 'parallel';
    if (region) {
      compounds.push(regionFrame(id, box, info, attrs, { stub: layout.plan.isStub(id), current }));
      continue;
    }
    if (n.type === 'compound' || n.type === 'parallel') {
      compounds.push(
        s(
          'g',
          attrs,
          s('title', null, `${id}${activeParent ? ' (the saga is inside)' : ''}`),
          s('rect', { class: 'frame', width: box.width, height: box.height, rx: 14 }),
          s('text', { class: 'compound-label', x: 18, y: 28 }, n.label),
        ),
      );
      continue;
    }
    const phase = n.kind === 'phase';
    const statusLine = phase
      ? ''
      : (info?.status ??
        (n.type === 'final' ? 'final state' : n.kind === 'top' ? '' : 'not reached'));
    const visits = info?.visits ?? [];
    const badgeWidth = Math.max(24, visits.join(',').length * 8 + 12);
    leaves.push(
      s(
        'g',
        attrs,
        s(
          'title',
          null,
          `${id}${statusLine ? ` — ${statusLine}` : ''}${visits.length ? ` — step ${visits.join(', ')} of the path` : ''}`,
        ),
        current
          ? s('rect', {
              class: 'halo',
              x: -6,
              y: -6,
              width: box.width + 12,
              height: box.height + 12,
              rx: 16,
            })
          : null,
        s('rect', {
          class: 'box',
          width: box.width,
          height: box.height,
          rx: n.type === 'final' ? 28 : 10,
        }),
        n.type === 'final'
          ? s('rect', {
              class: 'box-inner',
              x: 4,
              y: 4,
              width: box.width - 8,
              height: box.height - 8,
              rx: 24,
            })
          : null,
        s(
          'text',
          {
            class: phase ? 'label phase-label' : 'label',
            x: box.width / 2,
            y: phase ? box.height / 2 + 4.5 : statusLine ? 26 : 35,
            'text-anchor': 'middle',
            ...fitText(n.label, LABEL_CHAR_W, box.width - 12),
          },
          n.label,
        ),
        statusLine
          ? s(
              'text',
              {
                class: 'status',
                x: box.width / 2,
                y: 45,
                'text-anchor': 'middle',
                ...fitText(statusLine, STATUS_CHAR_W, box.width - 12),
              },
              statusLine,
            )
          : null,
        visits.length
          ? s(
              'g',
              { class: 'badge', transform: 'translate(-10,-10)' },
              s('rect', { width: badgeWidth, height: 22, rx: 11 }),
              s('text', { x: badgeWidth / 2, y: 16, 'text-anchor': 'middle' }, visits.join(',')),
            )
          : null,
        current
          ? s(
              'g',
              { class: 'now', transform: `translate(${box.width - 44},-11)` },
              s('rect', { width: 50, height: 20, rx: 10 }),
              s('text', { x: 25, y: 14.5, 'text-anchor': 'middle' }, 'NOW'),
            )
          : null,
      ),
    );
  }
  const edgeEls = (layout.dependencies ?? [])
    .filter((d) => d.points.length)
    .map((d) =>
      s(
        'path',
        {
          class: 'edge dep',
          d: polyline(d.points),
          'marker-end': 'url(#arrow-dep)',
          'data-dep': `${d.from}→${d.to}`,
        },
        s('title', null, `${d.to.split('.')[1]} waits for ${d.from.split('.')[1]}`),
      ),
    );
  const labelEls = [];
  for (const e of edges) {
    if (!e.points.length) continue;
    const tone = hl?.edges.get(e.id) ?? null;
    const inRegion = layout.plan?.quiet(e.source, e.target) ?? false;
    const cls = `edge ${tone ? `taken tone-${tone}` : ''}${inRegion ? ' in-region' : ''}`;
    edgeEls.push(
      s(
        'path',
        {
          class: cls,
          d: polyline(e.points),
          'marker-end': `url(#arrow-${tone ?? 'default'})`,
          'data-edge': `${e.source}→${e.target}`,
          'data-events': e.edges.map((x) => x.event).join(' '),
        },
        s('title', null, `${e.source} → ${e.target}: ${e.edges.map((x) => x.label).join(', ')}`),
      ),
    );
    if (e.label?.x !== undefined) {
      const lines = e.label.lines ?? e.lines;
      const attrs = { x: e.label.x + 4, y: e.label.y + 13 };
      labelEls.push(
        s(
          'text',
          {
            class: `edge-label ${tone ? `taken tone-${tone}` : ''}`,
            ...attrs,
            'data-edge': `${e.source}→${e.target}`,
          },
          lines.map((line, i) => s('tspan', { x: attrs.x, dy: i ? LINE_H : 0 }, line)),
        ),
      );
    }
  }
  // Taken edges are drawn last so that they stay on top of the others.
  const taken = (el) => Number(el.classList.contains('taken'));
  edgeEls.sort((a, b) => taken(a) - taken(b));
  labelEls.sort((a, b) => taken(a) - taken(b));
  const w = Math.ceil(width);
  const ht = Math.ceil(height);
  const svg = s(
    'svg',
    {
      class: `statechart ${layout.all ? 'all-edges' : 'some-edges'}`,
      'data-direction': layout.direction,
      viewBox: `0 0 ${w} ${ht}`,
      width: w,
      height: ht,
      role: 'img',
      'aria-label': layout.all
        ? 'Statechart of the saga definition: every state and transition'
        : 'Statechart of the saga definition: every state, the main transitions and those this saga took',
    },
    defs,
    s('g', { class: 'compounds' }, compounds),
    s('g', { class: 'edges' }, edgeEls),
    s('g', { class: 'leaves' }, leaves),
    s('g', { class: 'edge-labels' }, labelEls),
  );
  // The natural width, for the stylesheet's readable minimum (CSSOM: allowed by the CSP).
  svg.style.setProperty('--w', String(w));
  return svg;
}

export { firstStepState, scrollToState } from './chart-scroll.js';
