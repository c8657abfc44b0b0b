import { api, ApiError } from '../api.js';
import { h, ago, time, badge, table, card, kv } from '../dom.js';
import { roamRow, ROAM_HEAD, sizeBars } from './roams.js';

const STATE_KIND = { sent: 'ok', added: 'ok', confirmed: 'ok', queued: 'warn', failed: 'bad', withdrawn: 'muted' };

async function optional(path, fallback) {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return fallback;
    throw e;
  }
}

export async function stationView([mac]) {
  const s = await api(`/v1/stations/${encodeURIComponent(mac)}`);
  const [pl, roams] = await Promise.all([
    optional(`/v1/stations/${encodeURIComponent(s.staMac)}/placements`, null),
    optional(`/v1/roams?sta=${encodeURIComponent(s.staMac)}&limit=50`, null),
  ]);
  const at = s.currentAp ?? s.ap;
  const record = card(
    'Record',
    kv([
      ['Station', h('span', { class: 'mono' }, s.staMac)],
      ['Identity', s.identity],
      ['Session', badge(s.session, s.session === 'active' ? 'ok' : s.session === 'ended' ? 'muted' : 'info')],
      ['SSID', s.ssid],
      ['AKM', s.akmName],
      ['Mobility domain', s.mdid],
      ['Authenticated at', `${s.ap.nasIdentifier ?? '–'} (${s.ap.bssid}) · ${time(s.authenticatedAt)}`],
      [
        'Now at',
        s.currentAp ? `${s.currentAp.nasIdentifier ?? '–'} (${s.currentAp.bssid}) since ${ago(s.currentAp.since)}` : 'no accounting yet',
      ],
      ['VLAN', s.vlan ? `untagged ${s.vlan.untagged ?? '–'}${s.vlan.tagged.length ? `, tagged ${s.vlan.tagged.join(', ')}` : ''}` : null],
      ['Role', [s.role.filterId, s.role.arubaUserRole].filter(Boolean).join(' / ')],
      ['CUI', s.cui],
      ['Session-Timeout', s.sessionTimeout === null ? null : `${s.sessionTimeout} s`],
      ['Machine auth', s.machineAuth.authenticated ? `yes (${s.machineAuth.identity})` : 'no'],
      ['Expires', `${time(s.expiresAt)} (${ago(s.expiresAt)})`],
    ]),
  );
  const names = card(
    'Key names',
    h('p', { class: 'muted' }, 'Names only: the KMS never serves key material.'),
    kv([
      ['PMKR0Name', s.pmkR0Name ? h('span', { class: 'mono', id: 'pmkr0name' }, s.pmkR0Name) : 'none (not FT)'],
      ['PMK held', s.hasPmk ? 'yes' : 'no'],
    ]),
  );
  const placements = card(
    'Placements',
    pl === null
      ? h('p', { class: 'empty' }, 'Key distribution is not configured.')
      : table(
          ['AP', 'BSSID', 'Kind', 'Key name', 'State', 'Via', 'Placed', 'Expires', 'Attempts', 'Last error'],
          pl.placements.map((p) =>
            h(
              'tr',
              {},
              h('td', {}, p.ap),
              h('td', { class: 'mono' }, p.bssid),
              h('td', {}, p.kind === 'ft' ? 'FT (PMKR1Name)' : 'OKC (PMKID)'),
              h('td', { class: 'mono small' }, p.keyName),
              h('td', {}, badge(p.state, STATE_KIND[p.state])),
              h('td', {}, p.via),
              h('td', {}, ago(p.placedAt)),
              h('td', {}, ago(p.expiresAt)),
              h('td', {}, String(p.attempts)),
              h('td', { class: 'error' }, p.lastError ?? ''),
            ),
          ),
          'no placements for this station',
        ),
  );
  const roamCard = card(
    'Roams',
    roams === null
      ? h('p', { class: 'empty' }, 'Roam observation is not configured.')
      : table(
          ROAM_HEAD,
          roams.roams
            .slice()
            .reverse()
            .map((r) => roamRow(r, Math.max(...roams.roams.map((x) => x.durationMs), 1))),
          'no roams seen for this station',
        ),
  );
  sizeBars(roamCard);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: '#/stations' }, 'Stations'),
      ' / ',
      h('span', { class: 'mono' }, s.staMac),
      ' · at ',
      at.nasIdentifier ?? at.bssid,
    ),
    h('div', { class: 'cols' }, record, names),
    placements,
    roamCard,
  );
}
