// The lab's small pcap reader and roam classifier, on a capture built byte by byte here.
import { describe, it, expect } from 'vitest';
import { readPcap } from '../../hw/vlab/pcap.js';
import { analyseRoams } from '../../hw/vlab/roams.js';

const STA = '02:00:00:00:02:00';
const AP2 = '02:00:00:00:01:00';
const macBytes = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));

function mgmt(subtype: number, src: string, dst: string, body: Buffer, retry = false): Buffer {
  const h = Buffer.alloc(24);
  h[0] = subtype << 4;
  h[1] = retry ? 0x08 : 0;
  macBytes(dst).copy(h, 4);
  macBytes(src).copy(h, 10);
  macBytes(src === STA ? dst : src).copy(h, 16);
  return Buffer.concat([h, body]);
}
function eapol(src: string, dst: string, type: number): Buffer {
  const h = Buffer.alloc(26);
  h[0] = 0x88; // QoS data
  h[1] = src === STA ? 0x01 : 0x02;
  macBytes(dst).copy(h, 4);
  macBytes(src).copy(h, 10);
  const llc = Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0x8e, 2, type, 0, 4, 1, 2, 0, 4]);
  return Buffer.concat([h, llc]);
}
function auth(src: string, dst: string, alg: number, seq: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16LE(alg, 0);
  b.writeUInt16LE(seq, 2);
  return mgmt(11, src, dst, b);
}
function pcap(frames: [number, Buffer][]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(127, 20);
  const recs = frames.map(([ms, f]) => {
    const radiotap = Buffer.from([0, 0, 8, 0, 0, 0, 0, 0]);
    const pkt = Buffer.concat([radiotap, f]);
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(ms / 1000), 0);
    r.writeUInt32LE(Math.round((ms % 1000) * 1000), 4);
    r.writeUInt32LE(pkt.length, 8);
    r.writeUInt32LE(pkt.length, 12);
    return Buffer.concat([r, pkt]);
  });
  return Buffer.concat([head, ...recs]);
}

const roam = {
  station: 'sta1',
  stationMac: STA,
  from: 'ap1',
  fromBssid: '02:00:00:00:00:00',
  to: 'ap2',
  toBssid: AP2,
  via: 'wpa_cli' as const,
  requestedAt: 1000_000,
};

describe('lab pcap reader and roam table', () => {
  it('classifies an FT roam: algorithm 2, no EAP, timed to the Reassociation Response', () => {
    const frames = readPcap(
      pcap([
        [1000_010, auth(STA, AP2, 2, 1)],
        [1000_015, auth(AP2, STA, 2, 2)],
        [1000_020, mgmt(2, STA, AP2, Buffer.alloc(4))],
        [1000_031.5, mgmt(3, AP2, STA, Buffer.alloc(6))],
      ]),
    );
    expect(frames.map((f) => f.kind)).toEqual(['auth', 'auth', 'reassoc-req', 'reassoc-resp']);
    const [row] = analyseRoams([roam], frames);
    expect(row).toMatchObject({ method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
    expect(row!.captureMs).toBeCloseTo(21.5, 3);
  });

  it('counts EAP frames once (retries ignored) and times a full-EAP roam to the last EAPOL-Key', () => {
    const frames = readPcap(
      pcap([
        [1000_010, auth(STA, AP2, 0, 1)],
        [1000_012, auth(AP2, STA, 0, 2)],
        [1000_014, mgmt(2, STA, AP2, Buffer.alloc(4))],
        [1000_016, mgmt(3, AP2, STA, Buffer.alloc(6))],
        [1000_020, eapol(AP2, STA, 0)],
        [1000_021, mgmt(11, STA, AP2, Buffer.alloc(6), true)],
        [1000_030, eapol(STA, AP2, 0)],
        [1000_090, eapol(AP2, STA, 3)],
        [1000_100, eapol(STA, AP2, 3)],
      ]),
    );
    const [row] = analyseRoams([roam], frames);
    expect(row).toMatchObject({ method: 'full-eap', eapFrames: 2, eapolKeyFrames: 2 });
    expect(row!.captureMs).toBeCloseTo(90, 3);
  });

  it('reports a roam it cannot find in the capture as unknown, not as a pass', () => {
    const [row] = analyseRoams([roam], readPcap(pcap([])));
    expect(row).toMatchObject({ method: 'unknown', eapFrames: null, captureMs: null });
  });

  it('refuses files that are not pcap', () => {
    expect(() => readPcap(Buffer.alloc(32))).toThrow(/not a pcap file/);
  });
});
