import { api } from '../api.js';
import { h, ago, badge, table, card } from '../dom.js';

const SESSION_KIND = { active: 'ok', authenticated: 'info', ended: 'muted' };

export async function stationsView() {
  const { stations } = await api('/v1/stations');
  stations.sort((a, b) => b.updatedAt - a.updatedAt);
  const search = h('input', {
    type: 'search',
    id: 'station-search',
    placeholder: 'Search MAC, identity, AP, SSID, VLAN…',
    autocomplete: 'off',
  });
  const count = h('span', { class: 'muted' });
  const body = h('div');
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const shown = stations.filter(
      (s) =>
        !q ||
        [
          s.staMac,
          s.identity,
          s.ssid,
          s.currentAp?.nasIdentifier ?? s.ap.nasIdentifier,
          s.currentAp?.bssid ?? s.ap.bssid,
          s.vlan?.untagged,
          s.akmName,
        ].some((v) => v !== null && v !== undefined && String(v).toLowerCase().includes(q)),
    );
    count.textContent = `${shown.length} of ${stations.length}`;
    body.replaceChildren(
      table(
        ['Station', 'Identity', 'AP', 'BSSID', 'SSID', 'AKM', 'VLAN', 'Session', 'Authenticated', 'Expires'],
        shown.slice(0, 500).map((s) => {
          const at = s.currentAp ?? s.ap;
          return h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/station/${encodeURIComponent(s.staMac)}`, class: 'mono' }, s.staMac)),
            h('td', {}, s.identity ?? '–'),
            h('td', {}, at.nasIdentifier ?? '–'),
            h('td', { class: 'mono' }, at.bssid),
            h('td', {}, s.ssid ?? '–'),
            h('td', {}, s.akmName ?? '–'),
            h('td', {}, s.vlan ? String(s.vlan.untagged ?? s.vlan.tagged.join(',')) : '–'),
            h('td', {}, badge(s.session, SESSION_KIND[s.session] ?? '')),
            h('td', {}, ago(s.authenticatedAt)),
            h('td', {}, ago(s.expiresAt)),
          );
        }),
        q ? 'no station matches' : 'no stations yet',
      ),
    );
  };
  search.addEventListener('input', render);
  render();
  return card(null, h('div', { class: 'toolbar' }, h('h2', {}, 'Stations'), search, count), body);
}
