// The RF graph: the daemon's own picture (GET /v1/neighbors.svg, the layout kmsctl draws) placed
// in the page, with pan (drag), zoom (wheel, buttons) and a details panel for what the pointer is on.
import { api, ApiError } from '../api.js';
import { h, card } from '../dom.js';

export async function graphView([ap]) {
  let svgText;
  let neighbors;
  try {
    [svgText, neighbors] = await Promise.all([
      api(`/v1/neighbors.svg${ap ? `?ap=${encodeURIComponent(ap)}` : ''}`, { as: 'text' }),
      api('/v1/neighbors?edges=all'),
    ]);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return card('RF graph', h('p', { class: 'empty' }, e.message));
    throw e;
  }
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
  const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('id', 'rf-graph');
  svg.setAttribute('tabindex', '0');
  // The picture's own caption and legend are for the file kmsctl writes; here they are HTML, and
  // the view starts fitted to the APs (a few APs fill the canvas instead of a corner of the page).
  const caption = svg.querySelector('.caption')?.textContent ?? '';
  for (const s of svg.querySelectorAll('.caption, .legend')) s.remove();
  const fitted = () => {
    const pts = [...svg.querySelectorAll('.node circle')].map((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]);
    if (pts.length === 0) return { x: 0, y: 0, w: W, h: H };
    const pad = 90;
    const [x0, x1] = [Math.min(...pts.map((p) => p[0])) - pad, Math.max(...pts.map((p) => p[0])) + pad];
    const [y0, y1] = [Math.min(...pts.map((p) => p[1])) - pad, Math.max(...pts.map((p) => p[1])) + pad];
    // the canvas is wider than tall: widen the box to its aspect so nothing stretches
    const aspect = 16 / 9;
    let [w, hh] = [x1 - x0, y1 - y0];
    if (w / hh < aspect) w = hh * aspect;
    else hh = w / aspect;
    return { x: (x0 + x1 - w) / 2, y: (y0 + y1 - hh) / 2, w, h: hh };
  };
  let view = fitted();
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const apply = () => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  const zoom = (f, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    const w = Math.min(W * 4, Math.max(W / 20, view.w * f));
    const k = w / view.w;
    view = { x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w, h: view.h * k };
    apply();
  };
  const toSvg = (ev) => {
    const r = svg.getBoundingClientRect();
    return [view.x + ((ev.clientX - r.left) / r.width) * view.w, view.y + ((ev.clientY - r.top) / r.height) * view.h];
  };
  svg.addEventListener(
    'wheel',
    (ev) => {
      ev.preventDefault();
      const [cx, cy] = toSvg(ev);
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
    },
    { passive: false },
  );
  let drag = null;
  svg.addEventListener('pointerdown', (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, v: { ...view } };
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    view = {
      ...drag.v,
      x: drag.v.x - ((ev.clientX - drag.x) / r.width) * drag.v.w,
      y: drag.v.y - ((ev.clientY - drag.y) / r.height) * drag.v.h,
    };
    apply();
  });
  svg.addEventListener('pointerup', () => {
    drag = null;
    svg.classList.remove('dragging');
  });

  const byName = new Map(neighbors.aps.map((a) => [a.name, a]));
  const details = h(
    'div',
    { class: 'graph-details', id: 'graph-details' },
    h('p', { class: 'muted' }, 'Point at an AP or a link for details. Drag to pan, wheel to zoom.'),
  );
  const showNode = (name) => {
    const a = byName.get(name);
    const rows = (a?.neighbors ?? []).map((n) =>
      h(
        'tr',
        {},
        h('td', {}, n.ap),
        h('td', {}, n.signalDbm === null ? '–' : `${n.signalDbm.toFixed(1)} dBm`),
        h('td', {}, n.score.toFixed(1)),
        h('td', {}, String(n.roams)),
        h('td', {}, n.pinned ? 'pinned' : ''),
      ),
    );
    details.replaceChildren(
      h('h3', {}, name),
      rows.length
        ? h(
            'table',
            { class: 'grid compact' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Neighbour', 'Signal', 'Score', 'Roams', ''].map((c) => h('th', {}, c)),
              ),
            ),
            h('tbody', {}, rows),
          )
        : h('p', { class: 'error' }, 'No neighbours: keys are not pre-placed for stations here.'),
      h('p', {}, h('a', { href: `#/graph/${encodeURIComponent(name)}` }, 'Show only its neighbourhood')),
    );
  };
  svg.addEventListener('mouseover', (ev) => {
    const node = ev.target.closest('.node');
    if (node) {
      svg.querySelectorAll('.node.hover').forEach((n) => n.classList.remove('hover'));
      node.classList.add('hover');
      return showNode(node.dataset.ap);
    }
    const edge = ev.target.closest('.edge');
    if (edge)
      details.replaceChildren(
        h('h3', {}, `${edge.dataset.a} ↔ ${edge.dataset.b}`),
        ...edge
          .querySelector('title')
          .textContent.split('\n')
          .map((l) => h('p', { class: 'mono small' }, l)),
      );
  });
  const select = h(
    'select',
    { id: 'graph-ap' },
    h('option', { value: '' }, 'All APs'),
    neighbors.aps.map((a) => h('option', { value: a.name, selected: a.name === ap }, a.name)),
  );
  select.addEventListener('change', () => {
    location.hash = select.value ? `#/graph/${encodeURIComponent(select.value)}` : '#/graph';
  });
  const btn = (label, fn) => h('button', { class: 'ghost', onclick: fn }, label);
  apply();
  return card(
    null,
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, ap ? `RF neighbours of ${ap}` : 'RF graph'),
      select,
      btn('+', () => zoom(1 / 1.3)),
      btn('−', () => zoom(1.3)),
      btn('Fit', () => {
        view = fitted();
        apply();
      }),
    ),
    h('p', { class: 'muted graph-caption', id: 'graph-caption' }, caption.replace(/^[^:]*:\s*/, '')),
    h(
      'div',
      { class: 'legend-html' },
      h('span', { class: 'sw sw-listed' }),
      'in a neighbour list',
      h('span', { class: 'sw sw-roams' }),
      'roams seen',
      h('span', { class: 'sw sw-candidate' }),
      'heard, not listed',
      h('span', { class: 'sw sw-pinned' }),
      'pinned in the config',
      h('span', { class: 'sw-node' }),
      'AP without neighbours',
      h('span', { class: 'muted' }, ' · arrow A→B: B is A’s neighbour; width: score'),
    ),
    h('div', { class: 'graph-wrap' }, h('div', { class: 'graph-canvas' }, svg), details),
  );
}
