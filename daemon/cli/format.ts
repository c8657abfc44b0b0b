import type { StationView } from '../api/views.js';
import type { Placement } from '../distribution/placement.js';

// Plain-text tables for people; --json gives the API's objects unchanged for scripts.

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function vlanText(v: StationView['vlan']): string {
  if (!v) return '-';
  const parts = [];
  if (v.untagged !== null) parts.push(String(v.untagged));
  if (v.tagged.length) parts.push(`tagged ${v.tagged.join(',')}`);
  return parts.join(' ') || '-';
}

function age(ms: number, now: number): string {
  const s = Math.round((ms - now) / 1000);
  const abs = Math.abs(s);
  const text =
    abs >= 3600 ? `${Math.floor(abs / 3600)}h${Math.floor((abs % 3600) / 60)}m` : abs >= 60 ? `${Math.floor(abs / 60)}m` : `${abs}s`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

export function stationsTable(stations: StationView[], now = Date.now()): string {
  if (stations.length === 0) return 'no stations';
  return table(
    ['STATION', 'AP', 'BSSID', 'SSID', 'AKM', 'VLAN', 'IDENTITY', 'SESSION', 'EXPIRES'],
    stations.map((s) => [
      s.staMac,
      s.currentAp?.nasIdentifier ?? s.ap.nasIdentifier ?? s.ap.clientAddress,
      s.currentAp?.bssid ?? s.ap.bssid ?? '-',
      s.ssid ?? '-',
      s.akmName ?? '-',
      vlanText(s.vlan),
      s.identity ?? '-',
      s.revoked ? 'revoked' : s.session,
      age(s.expiresAt, now),
    ]),
  );
}

export function stationDetail(s: StationView, now = Date.now()): string {
  const rows: [string, string][] = [
    ['station', s.staMac],
    ['authenticated at', `${s.ap.nasIdentifier ?? '-'} (BSSID ${s.ap.bssid ?? '-'}, ${s.ap.clientAddress}) ${age(s.authenticatedAt, now)}`],
    ['current AP', s.currentAp ? `${s.currentAp.nasIdentifier ?? '-'} (BSSID ${s.currentAp.bssid ?? '-'})` : '-'],
    ['SSID / MDID', `${s.ssid ?? '-'} / ${s.mdid ?? '-'}`],
    ['AKM / pairwise', `${s.akmName ?? '-'} / ${s.pairwiseCipher === null ? '-' : `00-0f-ac:${s.pairwiseCipher & 0xff}`}`],
    ['identity / CUI', `${s.identity ?? '-'} / ${s.cui ?? '-'}`],
    ['VLAN', vlanText(s.vlan)],
    ['role', `Filter-Id ${s.role.filterId ?? '-'}, Aruba-User-Role ${s.role.arubaUserRole ?? '-'}`],
    ['machine auth', s.machineAuth.authenticated ? `yes (${s.machineAuth.identity})` : 'no'],
    ['session', `${s.session}, timeout ${s.sessionTimeout ?? '-'} s, expires ${age(s.expiresAt, now)}`],
    ...(s.revoked ? [['revoked', `${new Date(s.revoked.at).toISOString()}: ${s.revoked.reason}`] as [string, string]] : []),
    ['PMKR0Name', s.pmkR0Name ?? '-'],
  ];
  if (s.pmkid) rows.push([`PMKID @ ${s.pmkidBssid}`, `${s.pmkid}${s.pmkidHostapd ? ` (hostapd ${s.pmkidHostapd} convention)` : ''}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

export function placementsTable(placements: Placement[], now = Date.now()): string {
  if (placements.length === 0) return 'no placements';
  return table(
    ['AP', 'BSSID', 'KIND', 'VIA', 'STATE', 'KEY NAME', 'EXPIRES', 'ATTEMPTS', 'LAST ERROR'],
    placements.map((p) => [
      p.ap,
      p.bssid,
      p.kind,
      p.via,
      p.state,
      p.keyName,
      age(p.expiresAt, now),
      String(p.attempts),
      p.lastError ?? '-',
    ]),
  );
}
