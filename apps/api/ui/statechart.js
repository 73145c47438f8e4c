// The statechart of a definition (the API's `machine` JSON), laid out by elkjs (layered,
// compound states with their children) and drawn as SVG. Highlighting is data passed in.
import { s } from './dom.js';

const LEAF = { width: 196, height: 56 };
const TOP = { width: 168, height: 56 };
const CHAR_W = 6.6;
const LINE_H = 14;

/** What an edge says, short: the guard's step only when it is not the state's own step. */
function edgeText(edge, byId) {
  const step = /\[(.+)\]$/.exec(edge.label)?.[1];
  if (!step) return edge.event;
  const own = [byId.get(edge.source)?.label, byId.get(edge.target)?.label];
  return own.includes(step) ? edge.event : edge.label;
}

/** Lays out `machine` once; the result is drawn many times (time travel only recolours). */
export async function layoutStatechart(machine) {
  const byId = new Map(machine.nodes.map((n) => [n.id, n]));
  const children = new Map();
  for (const n of machine.nodes) {
    const list = children.get(n.parent ?? '') ?? [];
    list.push(n);
    children.set(n.parent ?? '', list);
  }
  const elkNode = (n) => {
    const kids = children.get(n.id);
    if (kids) {
      return {
        id: n.id,
        layoutOptions: { 'elk.padding': '[top=40,left=16,bottom=16,right=16]' },
        children: kids.map(elkNode),
      };
    }
    const size = n.parent ? LEAF : TOP;
    return { id: n.id, width: size.width, height: size.height };
  };
  // Parallel transitions (same source and target) are drawn as one arrow with every label.
  const groups = new Map();
  const loops = new Map();
  for (const e of machine.edges) {
    if (e.source === e.target) {
      // A transition that stays put (a failed attempt that will be retried): drawn as a small
      // loop on the state by hand, so that it does not push the layout apart.
      const l = loops.get(e.source) ?? {
        id: `l${loops.size}`,
        source: e.source,
        target: e.target,
        edges: [],
        lines: [],
      };
      l.edges.push(e);
      if (!l.lines.includes(e.event)) l.lines.push(e.event);
      loops.set(e.source, l);
      continue;
    }
    const key = `${e.source}→${e.target}`;
    const g = groups.get(key) ?? {
      id: `g${groups.size}`,
      source: e.source,
      target: e.target,
      edges: [],
      lines: [],
    };
    g.edges.push(e);
    const text = edgeText(e, byId);
    if (!g.lines.includes(text)) g.lines.push(text);
    groups.set(key, g);
  }
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '44',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.spacing.edgeNodeBetweenLayers': '16',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children: (children.get('') ?? []).map(elkNode),
    edges: [...groups.values()].map((g) => ({
      id: g.id,
      sources: [g.source],
      targets: [g.target],
      labels: [
        {
          text: g.lines.join('\n'),
          width: Math.max(...g.lines.map((l) => l.length)) * CHAR_W + 8,
          height: g.lines.length * LINE_H + 2,
        },
      ],
    })),
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
  const edges = laid.edges.map((e) => {
    const g = groupById.get(e.id);
    const sec = e.sections?.[0];
    const points = sec ? [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint] : [];
    return { ...g, points, label: { ...e.labels[0], lines: g.lines } };
  });
  for (const l of loops.values()) {
    const b = boxes.get(l.source);
    if (!b) continue;
    const x = b.x + b.width;
    const y = b.y + b.height / 2;
    edges.push({
      ...l,
      loop: true,
      points: [
        { x: x - 1, y: y - 9 },
        { x: x + 16, y: y - 9 },
        { x: x + 16, y: y + 9 },
        { x: x + 1, y: y + 9 },
      ],
      label: { x: x + 18, y: y - 6, lines: ['retry'] },
    });
  }
  return { width: laid.width + 40, height: laid.height, boxes, edges, machine };
}

function roundedPath(points) {
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
    ['default', 'path', 'compensated', 'failed', 'comp-failed'].map((tone) =>
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
    const current = hl?.current === id;
    const activeParent = hl?.current?.startsWith(`${id}.`);
    const cls = [
      'state',
      `type-${n.type}`,
      `kind-${n.kind}`,
      info?.tone ? `tone-${info.tone}` : 'tone-none',
      current ? 'is-current' : '',
      activeParent ? 'is-active-parent' : '',
    ].join(' ');
    const attrs = {
      class: cls,
      'data-state': id,
      'data-tone': info?.tone ?? 'none',
      'data-visits': info?.visits?.join(' ') ?? '',
      'data-current': current ? 'true' : null,
      transform: `translate(${box.x},${box.y})`,
    };
    if (n.type === 'compound') {
      compounds.push(
        s(
          'g',
          attrs,
          s('title', null, `${id}${activeParent ? ' (the saga is inside)' : ''}`),
          s('rect', { class: 'frame', width: box.width, height: box.height, rx: 14 }),
          s('text', { class: 'compound-label', x: 16, y: 25 }, n.label),
        ),
      );
      continue;
    }
    const statusLine =
      info?.status ?? (n.type === 'final' ? 'final state' : n.kind === 'top' ? '' : 'not reached');
    const visits = info?.visits ?? [];
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
          rx: n.type === 'final' ? 26 : 10,
        }),
        n.type === 'final'
          ? s('rect', {
              class: 'box-inner',
              x: 4,
              y: 4,
              width: box.width - 8,
              height: box.height - 8,
              rx: 22,
            })
          : null,
        s(
          'text',
          { class: 'label', x: box.width / 2, y: statusLine ? 24 : 33, 'text-anchor': 'middle' },
          n.label,
        ),
        statusLine
          ? s(
              'text',
              { class: 'status', x: box.width / 2, y: 42, 'text-anchor': 'middle' },
              statusLine,
            )
          : null,
        visits.length
          ? s(
              'g',
              { class: 'badge', transform: 'translate(-8,-8)' },
              s('rect', {
                width: Math.max(22, visits.join(',').length * 7 + 10),
                height: 20,
                rx: 10,
              }),
              s(
                'text',
                {
                  x: Math.max(22, visits.join(',').length * 7 + 10) / 2,
                  y: 14,
                  'text-anchor': 'middle',
                },
                visits.join(','),
              ),
            )
          : null,
        current
          ? s(
              'g',
              { class: 'now', transform: `translate(${box.width - 40},-10)` },
              s('rect', { width: 46, height: 18, rx: 9 }),
              s('text', { x: 23, y: 13, 'text-anchor': 'middle' }, 'NOW'),
            )
          : null,
      ),
    );
  }
  const edgeEls = [];
  const labelEls = [];
  for (const e of edges) {
    if (!e.points.length) continue;
    const tone = hl?.edges.get(e.id) ?? null;
    const cls = `edge ${tone ? `taken tone-${tone}` : ''}`;
    edgeEls.push(
      s(
        'path',
        {
          class: cls,
          d: roundedPath(e.points),
          'marker-end': `url(#arrow-${tone ?? 'default'})`,
          'data-edge': `${e.source}→${e.target}`,
        },
        s('title', null, `${e.source} → ${e.target}: ${e.edges.map((x) => x.label).join(', ')}`),
      ),
    );
    if (e.label?.x !== undefined) {
      const lines = e.label.lines ?? e.lines;
      labelEls.push(
        s(
          'text',
          {
            class: `edge-label ${tone ? `taken tone-${tone}` : ''}`,
            x: e.label.x + 4,
            y: e.label.y + 11,
          },
          lines.map((line, i) => s('tspan', { x: e.label.x + 4, dy: i ? LINE_H : 0 }, line)),
        ),
      );
    }
  }
  // Taken edges are drawn last so that they stay on top of the others.
  edgeEls.sort(
    (a, b) => Number(a.classList.contains('taken')) - Number(b.classList.contains('taken')),
  );
  return s(
    'svg',
    {
      class: 'statechart',
      viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
      width: Math.ceil(width),
      height: Math.ceil(height),
      role: 'img',
      'aria-label': 'Statechart of the saga definition',
    },
    defs,
    s('g', { class: 'compounds' }, compounds),
    s('g', { class: 'edges' }, edgeEls),
    s('g', { class: 'edge-labels' }, labelEls),
    s('g', { class: 'leaves' }, leaves),
  );
}
