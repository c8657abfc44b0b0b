// R0KH-R1KH over real raw Ethernet: our AF_PACKET addon on two veth ends bridged inside a test
// namespace (like the APs' br-lan ft_iface). One end is the KMS (RrbEndpoint), the other an
// independent hostapd-like R1KH built from the codec (test/unit/rrb/hostapd-r1kh.ts). Proves
// PUSH with the SEQ_REQ/SEQ_RESP handshake, PULL → RESP and → NAK, and that a replayed frame
// and a wrong-key frame are dropped with reasons. Needs root (namespaces, CAP_NET_RAW).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RrbEndpoint } from '../../adapters/rrb/endpoint.js';
import { PacketType, decodeFrame, encodeFrame } from '../../adapters/rrb/frame.js';
import { loadAfPacket, openL2Socket, type L2Transport } from '../../adapters/rrb/l2-socket.js';
import { buildMessage } from '../../adapters/rrb/messages.js';
import { macToBytes } from '../../daemon/common/mac.js';
import type { PmkR1Entry } from '../../daemon/ports/pmk-r1-transport.js';
import { derivePmkR1, derivePmkR1Name } from '../../daemon/keys/index.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../helpers/netns.js';
import { HostapdR1kh } from '../unit/rrb/hostapd-r1kh.js';
import * as V from '../unit/rrb/vectors.js';

const KMS_MAC = '02:00:00:00:09:00';
const AP_MAC = '02:00:00:00:04:00';
const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function entryFor(staMac: string, r0khId = 'ap1.example.com'): PmkR1Entry {
  const r1 = macToBytes(AP_MAC);
  return {
    staMac,
    r0khId,
    r1khId: AP_MAC,
    pmkR0Name: V.PMK_R0_NAME,
    pmkR1: derivePmkR1(V.PMK_R0, r1, macToBytes(staMac)),
    pmkR1Name: derivePmkR1Name(V.PMK_R0_NAME, r1, macToBytes(staMac)),
    pairwise: 0x10,
    expiresInS: 3600,
    vlan: { untagged: 100, tagged: [] },
    identity: 'alice@example.com',
    cui: 'cui-1',
    sessionTimeoutS: 600,
  };
}

describe.skipIf(!canUseNetns())('RRB over AF_PACKET on a bridged veth segment', () => {
  let ns: Netns;
  const links: VethPair[] = [];
  let kms: RrbEndpoint;
  let apL2: L2Transport;
  let ap: HostapdR1kh;
  const apSent: Buffer[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    ns = await createNetns('rrb');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    for (const mac of [KMS_MAC, AP_MAC]) {
      const pair = await createVeth({ netns: ns }, { netns: null, mac });
      await runChecked('ip', ['-n', ns.name, 'link', 'set', pair.a.ifname, 'master', 'br0']);
      links.push(pair);
    }
    kms = RrbEndpoint.open({
      ifname: links[0]!.b.ifname,
      keyFor: (src, r1khId) => (src === AP_MAC && r1khId === AP_MAC ? V.KEY : null),
      pullHandler: (req) => (req.pmkR0Name.equals(V.PMK_R0_NAME) ? entryFor(req.staMac, req.r0khId) : null),
      observer: (e, r) => events.push(r ? `${e}:${r}` : e),
    });
    const raw = openL2Socket(links[1]!.b.ifname);
    apL2 = {
      ...raw,
      mac: raw.mac,
      send: (f) => {
        apSent.push(Buffer.from(f));
        raw.send(f);
      },
    };
    ap = new HostapdR1kh(apL2, AP_MAC, { addr: KMS_MAC, key: V.KEY });
  });

  afterAll(async () => {
    kms?.close();
    apL2?.close();
    for (const l of links) await l.destroy();
    await ns?.destroy();
  });

  it('the addon reports the interface MAC and refuses unknown interfaces', () => {
    expect(kms.mac).toBe(KMS_MAC);
    expect(apL2.mac).toBe(AP_MAC);
    expect(() => loadAfPacket().open('nosuchif0', 0x88b7, () => {})).toThrow(/nosuchif0/);
  });

  it('PUSH: hostapd-like R1KH sends SEQ_REQ (no state), gets SEQ_RESP, accepts the queued PUSH', async () => {
    expect(await kms.push({ mac: AP_MAC, r1khId: AP_MAC, key: V.KEY }, entryFor(V.STA))).toEqual({ ok: true });
    await waitFor(() => ap.stored.length === 1);
    const s = ap.stored[0]!;
    expect(s.staMac).toBe(V.STA);
    expect(s.session.pmkR1).toEqual(V.PMK_R1);
    expect(s.session.pmkR1Name).toEqual(V.PMK_R1_NAME);
    expect(s.session).toMatchObject({ pairwise: 0x10, expiresIn: 3600, sessionTimeout: 600, vlan: { untagged: 100, tagged: [] } });
    expect(s.session.identity.toString()).toBe('alice@example.com');
    expect(ap.log).toEqual(['tx SEQ_REQ', 'seq synced', 'stored PUSH']);
    expect(events).toEqual(['tx:PUSH', 'rx:SEQ_REQ', 'tx:SEQ_RESP']);
  });

  it('500 more PUSHes in bursts of 50 all arrive and are accepted', async () => {
    for (let b = 0; b < 10; b++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const n = b * 50 + i;
          return kms.push(
            { mac: AP_MAC, r1khId: AP_MAC, key: V.KEY },
            entryFor(`02:00:00:02:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`),
          );
        }),
      );
      await waitFor(() => ap.stored.length === 1 + (b + 1) * 50);
    }
    expect(events.filter((e) => e.startsWith('drop'))).toEqual([]);
  });

  it('PULL → RESP with the PMK-R1 (after the KMS syncs to the AP with its own SEQ_REQ)', async () => {
    const r = await ap.pull(V.STA, 'ap1.example.com', V.PMK_R0_NAME);
    expect(r.ok && r.session.pmkR1).toEqual(V.PMK_R1);
    expect(events).toContain('defer:seq-unknown-peer');
    expect(events).toContain('seq-synced');
    expect(events.filter((e) => e === 'pull-answered')).toHaveLength(1);
  });

  it('PULL for an unknown PMKR0Name → NAK', async () => {
    expect(await ap.pull(V.STA, 'ap1.example.com', Buffer.alloc(16, 0xee))).toEqual({ ok: false, nak: true });
    expect(events.at(-2)).toBe('pull-nak');
  });

  it('a replayed PULL and a wrong-key frame are dropped with reasons; own frames never come back', async () => {
    const pull = apSent.filter((f) => decodeFrame(f).packetType === PacketType.PULL).at(-1)!;
    const before = events.length;
    apL2.send(pull);
    await waitFor(() => events.includes('drop:seq-duplicate'));
    const forged = encodeFrame({
      dst: KMS_MAC,
      src: AP_MAC,
      packetType: PacketType.PULL,
      payload: buildMessage(
        {
          type: PacketType.PULL,
          nonce: Buffer.alloc(16, 3),
          seq: { dom: 1, seq: 1, ts: 1 },
          r0khId: Buffer.from('ap1.example.com'),
          r1khId: AP_MAC,
          staMac: V.STA,
          pmkR0Name: V.PMK_R0_NAME,
        },
        Buffer.alloc(32, 0x42),
        AP_MAC,
      ),
    });
    apL2.send(forged);
    await waitFor(() => events.includes('drop:decrypt-failed'));
    expect(events.slice(before).filter((e) => e.startsWith('tx'))).toEqual([]);
    expect(events).not.toContain('drop:own-frame');
    expect(kms.counts.get('drop:seq-duplicate')).toBe(1);
  });
});
