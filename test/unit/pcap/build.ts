// Hand-built frames for the decoder and tracker tests, written from the layouts in the standard
// (and docs/hostapd-interfaces.md), not from any captured bytes: each builder is the simplest correct encoding.
export const mac = (s: string) => Buffer.from(s.replace(/:/g, ''), 'hex');
const u16le = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32le = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u16be = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};
const hex = (s: string) => Buffer.from(s, 'hex');
const cat = (...p: (Buffer | number[])[]) => Buffer.concat(p.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x))));

export interface RadiotapOpts {
  tsft?: number;
  flags?: number;
  rate?: number;
  freq?: number;
  chFlags?: number;
  signal?: number;
  noise?: number;
  antenna?: number;
}

/** A radiotap header with the given fields, aligned as the spec requires. */
export function radiotap(o: RadiotapOpts = {}): Buffer {
  let present = 0;
  const body: number[] = [];
  const align = (n: number) => {
    while ((8 + body.length) % n) body.push(0);
  };
  const push = (b: Buffer) => body.push(...b);
  if (o.tsft !== undefined) {
    present |= 1;
    align(8);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(o.tsft));
    push(b);
  }
  if (o.flags !== undefined) {
    present |= 2;
    body.push(o.flags);
  }
  if (o.rate !== undefined) {
    present |= 4;
    body.push(o.rate);
  }
  if (o.freq !== undefined) {
    present |= 8;
    align(2);
    push(u16le(o.freq));
    push(u16le(o.chFlags ?? 0x00a0));
  }
  if (o.signal !== undefined) {
    present |= 32;
    body.push(o.signal & 0xff);
  }
  if (o.noise !== undefined) {
    present |= 64;
    body.push(o.noise & 0xff);
  }
  if (o.antenna !== undefined) {
    present |= 1 << 11;
    body.push(o.antenna);
  }
  return cat([0, 0], u16le(8 + body.length), u32le(present), body);
}

export interface HdrOpts {
  retry?: boolean;
  seq?: number;
  frag?: number;
  protected?: boolean;
  order?: boolean;
}
const fcFlags = (o: HdrOpts, ds = 0) => ds | (o.retry ? 0x08 : 0) | (o.protected ? 0x40 : 0) | (o.order ? 0x80 : 0);
const seqCtl = (o: HdrOpts) => u16le(((o.seq ?? 0) << 4) | (o.frag ?? 0));

/** Management header: addr1 = DA, addr2 = SA, addr3 = BSSID. */
export function mgmtHeader(subtype: number, da: string, sa: string, bssid: string, o: HdrOpts = {}): Buffer {
  return cat([subtype << 4, fcFlags(o)], [0, 0], mac(da), mac(sa), mac(bssid), seqCtl(o), o.order ? [0, 0, 0, 0] : []);
}

export interface DataOpts extends HdrOpts {
  toDs?: boolean;
  fromDs?: boolean;
  a4?: string;
  tid?: number;
  nullData?: boolean;
}
/** Data header; QoS Data when `tid` is given. */
export function dataHeader(a1: string, a2: string, a3: string, o: DataOpts = {}): Buffer {
  const subtype = (o.tid !== undefined ? 8 : 0) | (o.nullData ? 4 : 0);
  const ds = (o.toDs ? 1 : 0) | (o.fromDs ? 2 : 0);
  return cat(
    [(subtype << 4) | 0x08, fcFlags(o, ds)],
    [0, 0],
    mac(a1),
    mac(a2),
    mac(a3),
    seqCtl(o),
    o.a4 ? mac(o.a4) : [],
    o.tid !== undefined ? [o.tid, 0] : [],
    o.tid !== undefined && o.order ? [0, 0, 0, 0] : [],
  );
}

export const ie = (id: number, body: Buffer | number[]) => cat([id, Buffer.isBuffer(body) ? body.length : body.length], body);
export const ssidIe = (s: string) => ie(0, Buffer.from(s));
export const dsIe = (ch: number) => ie(3, [ch]);

export interface RsnOpts {
  group?: number;
  pairwise?: number[];
  akms?: number[];
  caps?: number;
  pmkids?: string[];
  gmgmt?: number;
}
export function rsnIe(o: RsnOpts = {}): Buffer {
  const suite = (s: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(s >>> 0);
    return b;
  };
  const pw = o.pairwise ?? [0x000fac04];
  const akms = o.akms ?? [0x000fac01];
  const parts = [
    u16le(1),
    suite(o.group ?? 0x000fac04),
    u16le(pw.length),
    ...pw.map(suite),
    u16le(akms.length),
    ...akms.map(suite),
    u16le(o.caps ?? 0),
  ];
  if (o.pmkids || o.gmgmt !== undefined) parts.push(u16le(o.pmkids?.length ?? 0), ...(o.pmkids ?? []).map(hex));
  if (o.gmgmt !== undefined) parts.push(suite(o.gmgmt));
  return ie(48, cat(...parts));
}
export const mdeIe = (mdid: string, cap = 0) => ie(54, cat(hex(mdid), [cap]));
export function fteIe(o: { micLen?: number; anonce?: string; snonce?: string; r1kh?: string; r0kh?: string; count?: number } = {}): Buffer {
  const ml = o.micLen ?? 16;
  const sub = cat(o.r1kh ? cat([1, 6], mac(o.r1kh)) : [], o.r0kh ? cat([3, o.r0kh.length], Buffer.from(o.r0kh)) : []);
  return ie(55, cat([0, o.count ?? 0], Buffer.alloc(ml, 0xaa), hex(o.anonce ?? '11'.repeat(32)), hex(o.snonce ?? '22'.repeat(32)), sub));
}
export const rmCapsIe = (b0 = 0x73, b2 = 0x01) => ie(70, [b0, 0, b2, 0, 0]);
export const extCapsIe = (bssTransition = true) => ie(127, [0, 0, bssTransition ? 0x08 : 0, 0, 0, 0, 0, 0x40]);
export const htOpIe = (primary: number) => ie(61, cat([primary], Buffer.alloc(21)));
export const timeoutIe = (type: number, value: number) => ie(56, cat([type], u32le(value)));
export function nrIe(bssid: string, o: { info?: number; opClass?: number; channel?: number; phy?: number; pref?: number } = {}): Buffer {
  return ie(
    52,
    cat(mac(bssid), u32le(o.info ?? 0x48f), [o.opClass ?? 81, o.channel ?? 1, o.phy ?? 7], o.pref !== undefined ? [3, 1, o.pref] : []),
  );
}

export const beaconBody = (...ies: Buffer[]) => cat(Buffer.alloc(8, 1), u16le(100), u16le(0x0411), ...ies);
export const authBody = (alg: number, seq: number, status: number, ...ies: Buffer[]) => cat(u16le(alg), u16le(seq), u16le(status), ...ies);
export const assocReqBody = (...ies: Buffer[]) => cat(u16le(0x0431), u16le(10), ...ies);
export const reassocReqBody = (currentAp: string, ...ies: Buffer[]) => cat(u16le(0x0431), u16le(10), mac(currentAp), ...ies);
export const assocRespBody = (status: number, aid = 1, ...ies: Buffer[]) => cat(u16le(0x0411), u16le(status), u16le(0xc000 | aid), ...ies);
export const reasonBody = (reason: number) => u16le(reason);

export const actionBody = (category: number, action: number, ...rest: (Buffer | number[])[]) => cat([category, action], ...rest);
export const ftActionBody = (action: number, sta: string, target: string, status?: number, ...ies: Buffer[]) =>
  actionBody(6, action, mac(sta), mac(target), status !== undefined ? u16le(status) : [], ...ies);
export const beaconRequestIe = (
  token: number,
  o: { opClass?: number; channel?: number; mode?: number; bssid?: string; ssid?: string } = {},
) =>
  ie(
    38,
    cat(
      [token, 0, 5, o.opClass ?? 81, o.channel ?? 0],
      u16le(0),
      u16le(100),
      [o.mode ?? 1],
      mac(o.bssid ?? 'ff:ff:ff:ff:ff:ff'),
      o.ssid ? ssidIe(o.ssid) : [],
    ),
  );
export function beaconReportIe(token: number, o: { bssid: string; rcpi?: number; channel?: number; mode?: number }): Buffer {
  const body = cat(
    [81, o.channel ?? 6],
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
    u16le(100),
    [0x07, o.rcpi ?? 120, 255],
    mac(o.bssid),
    [0],
    u32le(0x12345678),
  );
  return ie(39, cat([token, o.mode ?? 0, 5], (o.mode ?? 0) & 7 ? [] : body));
}

/** LLC/SNAP + EAPOL header + body. */
export const eapol = (type: number, body: Buffer, version = 2) =>
  cat([0xaa, 0xaa, 3, 0, 0, 0], u16be(0x888e), [version, type], u16be(body.length), body);
export const eapPacket = (code: number, id: number, type?: number, data: Buffer = Buffer.alloc(0)) =>
  eapol(0, cat([code, id], u16be(4 + (type !== undefined ? 1 : 0) + data.length), type !== undefined ? [type] : [], data));
export const KEY_INFO = { M1: 0x008a, M2: 0x010a, M3: 0x13ca, M4: 0x030a, G1: 0x1382, G2: 0x0302, REQUEST: 0x0b0a } as const;
export function eapolKey(info: number, o: { keyData?: Buffer; micLen?: number; replay?: number } = {}): Buffer {
  const kd = o.keyData ?? Buffer.alloc(0);
  const replay = Buffer.alloc(8);
  replay.writeUInt32BE(o.replay ?? 1, 4);
  return eapol(
    3,
    cat(
      [2],
      u16be(info),
      u16be(16),
      replay,
      Buffer.alloc(32, 0x33),
      Buffer.alloc(16),
      Buffer.alloc(8),
      Buffer.alloc(8),
      Buffer.alloc(o.micLen ?? 16, 0x44),
      u16be(kd.length),
      kd,
    ),
  );
}
export const ipPayload = () => cat([0xaa, 0xaa, 3, 0, 0, 0], u16be(0x0800), Buffer.alloc(40, 0x45));

/** Classic pcap file; timestamps in ms. */
export function pcapFile(
  records: { ts: number; data: Buffer; origLen?: number }[],
  o: { linkType?: number; be?: boolean; nanos?: boolean } = {},
): Buffer {
  const w32 = (b: Buffer, v: number, off: number) => (o.be ? b.writeUInt32BE(v >>> 0, off) : b.writeUInt32LE(v >>> 0, off));
  const w16 = (b: Buffer, v: number, off: number) => (o.be ? b.writeUInt16BE(v, off) : b.writeUInt16LE(v, off));
  const h = Buffer.alloc(24);
  w32(h, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, 262144, 16);
  w32(h, o.linkType ?? 127, 20);
  const recs = records.map((r) => {
    const rh = Buffer.alloc(16);
    const sec = Math.floor(r.ts / 1000);
    w32(rh, sec, 0);
    w32(rh, Math.round((r.ts - sec * 1000) * (o.nanos ? 1e6 : 1e3)), 4);
    w32(rh, r.data.length, 8);
    w32(rh, r.origLen ?? r.data.length, 12);
    return cat(rh, r.data);
  });
  return cat(h, ...recs);
}

const pad4 = (b: Buffer) => cat(b, Buffer.alloc((4 - (b.length % 4)) % 4));
export const ngBlock = (type: number, body: Buffer) => {
  const b = pad4(body);
  return cat(u32le(type), u32le(b.length + 12), b, u32le(b.length + 12));
};
export const ngSection = () => ngBlock(0x0a0d0d0a, cat(u32le(0x1a2b3c4d), u16le(1), u16le(0), Buffer.alloc(8, 0xff)));
/** Interface Description Block; tsresol: option 9 value (6 = µs, 9 = ns, 0x80|n = 2^-n). */
export const ngInterface = (linkType: number, tsresol?: number) =>
  ngBlock(
    1,
    cat(u16le(linkType), u16le(0), u32le(0), tsresol !== undefined ? cat(u16le(9), u16le(1), [tsresol, 0, 0, 0], u16le(0), u16le(0)) : []),
  );
export function ngPacket(iface: number, units: bigint, data: Buffer): Buffer {
  return ngBlock(
    6,
    cat(u32le(iface), u32le(Number(units >> 32n)), u32le(Number(units & 0xffffffffn)), u32le(data.length), u32le(data.length), pad4(data)),
  );
}
export { cat, hex, u16le, u32le };
