import { api } from '../api.js';
import { h, badge, card, kv, table } from '../dom.js';

function duration(s) {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${hh} h` : hh ? `${hh} h ${m} min` : `${m} min ${s % 60} s`;
}

export async function healthView() {
  const hl = await api('/v1/health');
  const r = hl.radius ?? {};
  const upstreams = r.upstreams ?? [];
  const queued = Object.entries(hl.distribution?.queued ?? {});
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'cols' },
      card(
        'Daemon',
        kv([
          ['Status', badge(hl.status, hl.status === 'ok' ? 'ok' : 'bad')],
          ['Version', hl.version],
          ['Uptime', duration(hl.uptimeS)],
          ['Stations', String(hl.stations)],
          ['RADIUS in flight', r.inFlight === undefined ? null : String(r.inFlight)],
        ]),
      ),
      card('Cluster members', h('p', { class: 'empty' }, 'This KMS runs alone. Members of a KMS cluster will be listed here.')),
    ),
    card(
      'RADIUS upstreams',
      table(
        ['Upstream', 'State'],
        upstreams.map((u) => h('tr', {}, h('td', {}, u.name), h('td', {}, badge(u.alive ? 'alive' : 'dead', u.alive ? 'ok' : 'bad')))),
        'no upstreams reported',
      ),
    ),
    card(
      'Distribution queues',
      hl.distribution === null
        ? h('p', { class: 'empty' }, 'Key distribution is not configured.')
        : table(
            ['AP', 'Queued placements'],
            queued.map(([ap, n]) => h('tr', {}, h('td', {}, ap), h('td', {}, n ? badge(String(n), 'warn') : '0'))),
            'nothing queued: every AP took its keys',
          ),
    ),
    card(null, h('details', {}, h('summary', {}, 'Raw /v1/health'), h('pre', { class: 'raw' }, JSON.stringify(hl, null, 2)))),
  );
}
