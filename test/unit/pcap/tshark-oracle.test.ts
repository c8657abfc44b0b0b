import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import {
  decodeEapol,
  decodeHeader,
  decodeManagement,
  decodeRadiotap,
  readCaptureBuffer,
  snapEthertype,
  type MgmtBody,
} from '../../../adapters/pcap/index.js';

// Wireshark's dissectors as an independent oracle: every frame of every lab fixture is decoded by us
// and by tshark, and the fields both understand must agree. (Skipped where tshark is not installed;
// .ci/debian-packages.txt installs it.)
const FIX = new URL('../../fixtures/pcap/', import.meta.url).pathname;
const hasTshark = spawnSync('tshark', ['--version']).status === 0;
const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'wlan.fc.type_subtype',
  'wlan.ra',
  'wlan.ta',
  'wlan.fc.retry',
  'wlan.seq',
  'radiotap.channel.freq',
  'wlan.fixed.auth.alg',
  'wlan.fixed.auth_seq',
  'wlan.fixed.status_code',
  'wlan.fixed.category_code',
  'wlan.rsn.akms.type',
  'wlan.rsn.pmkid.count',
  'wlan.mobility_domain.mdid',
  'wlan.ssid',
  'eapol.type',
  'eap.code',
  'eap.type',
  'wlan_rsna_eapol.keydes.msgnr',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function tshark(file: string): Row[] {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .trimEnd()
    .split('\n')
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [FIELDS[i], v])) as Row);
}

const num = (v: string) => (v === '' ? undefined : Number(v));

/** Our decode of one packet, in tshark's vocabulary. */
function ours(data: Buffer): Partial<Record<keyof Row, number | string | undefined>> {
  const rt = decodeRadiotap(data);
  const f = data.subarray(rt.length, rt.flags & 0x10 ? data.length - 4 : data.length);
  const h = decodeHeader(f, (rt.flags & 0x20) !== 0);
  const out: Partial<Record<keyof Row, number | string | undefined>> = {
    'wlan.fc.type_subtype': (h.type << 4) | h.subtype,
    'wlan.ra': h.addr1,
    'wlan.ta': h.addr2,
    'wlan.fc.retry': h.retry ? 1 : 0,
    'wlan.seq': h.seqCtl >= 0 ? h.seqCtl >> 4 : undefined,
    'radiotap.channel.freq': rt.freqMhz,
  };
  if (h.type === 0) {
    const b: MgmtBody = decodeManagement(h, f);
    if (b.kind === 'auth')
      Object.assign(out, { 'wlan.fixed.auth.alg': b.algorithm, 'wlan.fixed.auth_seq': b.transaction, 'wlan.fixed.status_code': b.status });
    if (b.kind === 'assoc-resp' || b.kind === 'reassoc-resp') out['wlan.fixed.status_code'] = b.status;
    if (b.kind === 'action') out['wlan.fixed.category_code'] = b.action.category;
    const el = 'elements' in b ? b.elements : b.kind === 'action' && 'elements' in b.action ? b.action.elements : undefined;
    if (el?.rsn) out['wlan.rsn.akms.type'] = el.rsn.akms[0]! & 0xff;
    if (el?.rsn?.pmkids.length) out['wlan.rsn.pmkid.count'] = el.rsn.pmkids.length;
    if (el?.mde) out['wlan.mobility_domain.mdid'] = parseInt(el.mde.mdid.slice(2) + el.mde.mdid.slice(0, 2), 16);
    if (el?.ssid !== undefined && el.ssid !== '') out['wlan.ssid'] = Buffer.from(el.ssid).toString('hex');
  }
  if (h.type === 2 && !h.protected && !(h.subtype & 4) && snapEthertype(f, h.bodyOffset, f.length) === 0x888e) {
    const e = decodeEapol(f, h.bodyOffset + 8, f.length);
    out['eapol.type'] = e.type;
    if (e.eap) Object.assign(out, { 'eap.code': e.eap.code, 'eap.type': e.eap.type });
    if (e.key?.message.startsWith('M')) out['wlan_rsna_eapol.keydes.msgnr'] = Number(e.key.message.slice(1));
  }
  return out;
}

describe.skipIf(!hasTshark)('decoders agree with tshark on every frame of the lab captures', () => {
  const files = readdirSync(FIX)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort();
  it.each(files)('%s', (file) => {
    const rows = tshark(FIX + file);
    const mine: { ts: number; fields: ReturnType<typeof ours> }[] = [];
    readCaptureBuffer(readFileSync(FIX + file), (p) => mine.push({ ts: p.ts, fields: ours(p.data) }));
    expect(mine).toHaveLength(rows.length);
    let compared = 0;
    rows.forEach((row, i) => {
      const m = mine[i]!;
      expect(Math.abs(m.ts - Number(row['frame.time_epoch']) * 1000), `frame ${i + 1} time`).toBeLessThan(0.001);
      for (const [k, v] of Object.entries(m.fields)) {
        const theirs = row[k as keyof Row];
        if (v === undefined) {
          expect(theirs, `frame ${i + 1} ${k}`).toBe('');
          continue;
        }
        const t = typeof v === 'number' ? num(theirs) : theirs;
        expect(t, `frame ${i + 1} ${k}`).toBe(v);
        compared++;
      }
    });
    expect(compared).toBeGreaterThan(rows.length * 5);
  });
});
