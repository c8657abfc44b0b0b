import { api, ApiError } from '../api.js';
import { h, ago, badge, table, card } from '../dom.js';

export async function apsView() {
  let aps;
  try {
    ({ aps } = await api('/v1/aps'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return card('Access points', h('p', { class: 'empty' }, e.message));
    throw e;
  }
  const up = aps.filter((a) => a.control.up === true).length;
  const down = aps.filter((a) => a.control.up === false).length;
  const queued = aps.reduce((n, a) => n + a.queued, 0);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'tiles' },
      tile('APs', aps.length),
      tile('Control up', up, up ? 'ok' : ''),
      tile('Control down', down, down ? 'bad' : ''),
      tile('Queued placements', queued, queued ? 'warn' : ''),
    ),
    card(
      'Access points',
      table(
        ['AP', 'NAS-Identifier', 'BSSIDs', 'Control channel', 'Queued', 'Neighbours'],
        aps.map((a) =>
          h(
            'tr',
            {},
            h('td', {}, h('strong', {}, a.name)),
            h('td', {}, a.nasIdentifier),
            h(
              'td',
              { class: 'mono' },
              a.bsses.map((b) => h('div', {}, `${b.bssid} `, h('span', { class: 'muted' }, b.ifname))),
            ),
            h(
              'td',
              {},
              a.control.up === null
                ? badge('not configured', 'muted')
                : h(
                    'span',
                    {},
                    badge(a.control.up ? 'up' : 'down', a.control.up ? 'ok' : 'bad'),
                    ` ${a.control.kind}`,
                    a.control.changedAt
                      ? h('span', { class: 'muted' }, ` · ${ago(a.control.changedAt)}${a.control.reason ? ` (${a.control.reason})` : ''}`)
                      : null,
                  ),
            ),
            h('td', {}, a.queued ? badge(String(a.queued), 'warn') : '0'),
            h(
              'td',
              {},
              a.neighbors.length
                ? a.neighbors.map((n, i) => [i ? ', ' : '', h('a', { href: `#/graph/${encodeURIComponent(n)}` }, n)])
                : badge('none', 'bad'),
            ),
          ),
        ),
        'no APs configured',
      ),
    ),
  );
}

function tile(label, value, kind = '') {
  return h('div', { class: `tile ${kind}` }, h('div', { class: 'tile-value' }, String(value)), h('div', { class: 'tile-label' }, label));
}
