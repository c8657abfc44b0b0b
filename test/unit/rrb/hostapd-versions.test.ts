import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPcapRecords } from '../../../hw/vlab/pcap.js';
import { decodeFrame, PacketType } from '../../../adapters/rrb/frame.js';
import type { RrbMessage } from '../../../adapters/rrb/messages.js';
import { parseMessage } from './parse-message.js';

// R0KH-R1KH frames captured on the lab's DS bridge (ds-rrb.pcap of a kms-ft run) with hostapd 2.11 and
// upstream main as the APs, and the run's test-only keys (keys.json: each AP's BSSID and rrbKey, the
// KMS MAC). CI runs Debian's 2.10; these keep the codec checked against what the newer versions send
// and accept: every frame (SEQ_REQ/SEQ_RESP, PUSH, and PULL/RESP where the run had them) decodes and
// decrypts with the AP's key.

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
interface Keys {
  version: string;
  kmsMac: string;
  aps: { name: string; bssid: string; rrbKey: string }[];
}
const runs = readdirSync(FIXTURES).filter((d) => d.startsWith('hostapd-') && existsSync(join(FIXTURES, d, 'kms-ft', 'keys.json')));
const NAMES: Record<number, string> = { 1: 'PULL', 2: 'RESP', 3: 'PUSH', 4: 'SEQ_REQ', 5: 'SEQ_RESP' };

function decodeRun(dir: string): { keys: Keys; messages: { from: string; to: string; ap: string; m: RrbMessage }[] } {
  const keys = JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')) as Keys;
  const messages = readPcapRecords(readFileSync(join(dir, 'ds-rrb.pcap'))).map((r) => {
    const f = decodeFrame(r.data);
    const peer = f.src === keys.kmsMac ? f.dst : f.src;
    const ap = keys.aps.find((a) => a.bssid === peer);
    if (!ap) throw new Error(`frame ${f.src} → ${f.dst}: no AP with BSSID ${peer} in keys.json`);
    return { from: f.src, to: f.dst, ap: ap.name, m: parseMessage(f.packetType, f.payload, Buffer.from(ap.rrbKey, 'hex'), f.src) };
  });
  return { keys, messages };
}

describe('R0KH-R1KH frames of newer hostapd versions [captured]', () => {
  it('captures exist for 2.11 and upstream main', () => {
    expect(runs.sort()).toEqual(['hostapd-2.11', 'hostapd-main']);
  });

  for (const run of ['hostapd-2.11', 'hostapd-main']) {
    it(`${run}: ap4, not primed, PULLed its PMK-R1 from the KMS and got it`, () => {
      const { keys, messages } = decodeRun(join(FIXTURES, run, 'kms-ft'));
      expect(messages.some((x) => x.from !== keys.kmsMac && x.ap === 'ap4' && x.m.type === PacketType.PULL)).toBe(true);
      expect(messages.some((x) => x.from === keys.kmsMac && x.ap === 'ap4' && x.m.type === PacketType.RESP)).toBe(true);
    });
  }

  for (const run of runs) {
    it(`${run}: every frame decodes and decrypts with its AP's key; SEQ handshake, PUSHes with cipher, lifetime and VLAN`, () => {
      const { keys, messages } = decodeRun(join(FIXTURES, run, 'kms-ft'));
      const fromAp = (t: number) => messages.filter((x) => x.from !== keys.kmsMac && x.m.type === t);
      const fromKms = (t: number) => messages.filter((x) => x.from === keys.kmsMac && x.m.type === t);
      // Each AP asks the KMS (its R0KH) for a sequence number before it accepts that R0KH's PUSHes.
      expect(fromAp(PacketType.SEQ_REQ).length, NAMES[4]).toBeGreaterThan(0);
      expect(fromKms(PacketType.SEQ_RESP).length, NAMES[5]).toBeGreaterThan(0);
      const pushes = fromKms(PacketType.PUSH);
      expect(pushes.map((x) => x.ap)).toEqual(expect.arrayContaining(['ap2', 'ap3']));
      for (const { m } of pushes) {
        if (m.type !== PacketType.PUSH) continue;
        // A probe PUSH (sequence warm-up) carries no key; every KMS PUSH in these runs carries one.
        if ('probe' in m) throw new Error(`${run}: a probe PUSH to ${m.r1khId} where a keyed one was expected`);
        expect(m.session).toMatchObject({ pairwise: 0x10, expiresIn: 3600, vlan: { untagged: 100 } });
        // R0KH-ID: the nas_identifier of the AP where the station did its full authentication.
        expect(keys.aps.map((a) => `${a.name}.vlab`)).toContain(m.r0khId.toString());
      }
      // A PULL (an AP that was not primed) is answered with the key, never a NAK, in these runs.
      for (const pull of fromAp(PacketType.PULL)) {
        const resp = fromKms(PacketType.RESP).filter((x) => x.ap === pull.ap);
        expect(resp.length, `RESP to ${pull.ap}`).toBeGreaterThan(0);
        for (const { m } of resp) if (m.type === PacketType.RESP) expect(m.session).not.toBeNull();
      }
    });
  }
});
