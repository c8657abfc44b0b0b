// Fuzz test of everything that reads text from an AP: hostapd event lines, PMKSA/STA/
// SHOW_NEIGHBOR replies, hostapd_cli output and ubus notifications. Properties:
// 1. nothing but HostapdParseError escapes a parser (no TypeError, RangeError, …);
// 2. whatever parses is well-formed (canonical MACs, bounded numbers and buffers);
// 3. freshly generated valid inputs parse to exactly what was generated.
// Reproduce with HOSTAPD_FUZZ_SEED=<seed>; HOSTAPD_FUZZ_ITERATIONS changes the count.
import { Prng } from '../../helpers/prng.js';
import { describe, expect, it } from 'vitest';
import type { ApEvent } from '../../../daemon/ports/ap-driver.js';
import {
  HostapdParseError,
  PMKSA_HEADER,
  cliEventLine,
  parseEvent,
  parseNeighborList,
  parsePmksaList,
  parseStaReply,
  parseUbusEvent,
} from '../../../adapters/hostapd/index.js';

const SEED = Number(process.env.HOSTAPD_FUZZ_SEED ?? 0xa9c7);
const ITERATIONS = Number(process.env.HOSTAPD_FUZZ_ITERATIONS ?? 100_000);

const r = new Prng(SEED);
const hexOf = (n: number): string => Array.from({ length: n }, () => r.int(256).toString(16).padStart(2, '0')).join('');
const macOf = (): string => Array.from({ length: 6 }, () => r.int(256).toString(16).padStart(2, '0')).join(':');

/** A valid event line and the ApEvent it must give. */
function validEvent(): [string, ApEvent] {
  const sta = macOf();
  switch (r.int(4)) {
    case 0: {
      const vlan = r.int(4096);
      return [
        `<3>AP-STA-CONNECTED ${sta} keyid=k${r.int(9)} vlanid=${vlan} auth_alg=ft`,
        { type: 'sta-connected', ifname: 'w', staMac: sta, vlanId: vlan, authAlg: 'ft' },
      ];
    }
    case 1:
      return [`<3>AP-STA-DISCONNECTED ${sta}`, { type: 'sta-disconnected', ifname: 'w', staMac: sta }];
    case 2:
      return [`<3>EAPOL-4WAY-HS-COMPLETED ${sta}`, { type: '4way-completed', ifname: 'w', staMac: sta }];
    default: {
      const token = r.int(256);
      const mode = r.int(256);
      const body = hexOf(r.int(60));
      return [
        `<3>BEACON-RESP-RX ${sta} ${token} ${mode.toString(16).padStart(2, '0')} ${body}`,
        { type: 'beacon-report', ifname: 'w', staMac: sta, token, reportMode: mode, body: Buffer.from(body, 'hex') },
      ];
    }
  }
}

function validReply(): string {
  switch (r.int(3)) {
    case 0:
      return `${PMKSA_HEADER}\n${Array.from({ length: r.int(4) }, (_, i) => `${i} ${macOf()} ${hexOf(16)} ${r.int(50000) - 5} ${r.int(2)}\n`).join('')}`;
    case 1:
      return `${macOf()}\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=${r.int(2008)}\ndot1xAuthSessionUserName=alice\nlast_eap_type_as=25 (PEAP)\n`;
    default:
      return Array.from({ length: r.int(4) }, () => `${macOf()} ssid=${hexOf(r.int(33))} nr=${hexOf(16)}${r.int(2) ? ' stat' : ''}\n`).join(
        '',
      );
  }
}

function validUbus(): string {
  const a = macOf();
  return r.pick([
    `{ "sta-authorized": {"address":"${a}","vlan":${r.int(4096)},"auth-alg":"open"} }`,
    `{ "disassoc": {"address":"${a}"} }`,
    `{ "beacon-report": {"address":"${a}","op-class":${r.int(256)},"channel":${r.int(256)},"start-time":${r.int(1e9)},"duration":${r.int(65536)},"report-info":0,"rcpi":${r.int(256)},"rsni":255,"bssid":"${macOf()}","antenna-id":0,"parent-tsf":${r.int(65536)}} }`,
  ]);
}

const ALPHABET = [
  ' ',
  '  ',
  '=',
  ':',
  '<',
  '>',
  '[',
  ']',
  '\n',
  '\r',
  '\0',
  '\t',
  '-',
  '0',
  'f',
  'Z',
  '9'.repeat(12),
  'é',
  '\u{1F600}',
  '"',
  '{',
  '}',
  ',',
  'null',
  '-1',
  '1e999',
  '__proto__',
];

function mutate(text: string): string {
  let t = text;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const i = r.int(t.length + 1);
    switch (r.int(6)) {
      case 0:
        t = t.slice(0, i) + t.slice(i + 1 + r.int(4));
        break; // delete
      case 1:
        t = t.slice(0, i) + r.pick(ALPHABET) + t.slice(i);
        break; // insert
      case 2:
        t = t.slice(0, i) + String.fromCharCode(r.int(128)) + t.slice(i + 1);
        break; // replace
      case 3:
        t = t.slice(0, i);
        break; // truncate
      case 4:
        t = t + t.slice(i);
        break; // duplicate a tail
      default:
        t = t
          .split(' ')
          .sort(() => r.int(3) - 1)
          .join(' '); // shuffle tokens
    }
  }
  return t;
}

/** Plain checks (vitest's expect is too slow for a hot loop of 720k calls). */
function assert(cond: boolean, what: string): void {
  if (!cond) throw new Error(`property violated: ${what}`);
}
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function checkEvent(ev: ApEvent | null): void {
  if (!ev || ev.type === 'transport') return;
  assert(MAC.test(ev.staMac), 'canonical staMac');
  if (ev.type === 'beacon-report') {
    assert(
      (ev.token === null || (Number.isInteger(ev.token) && ev.token >= 0 && ev.token <= 255)) && ev.reportMode >= 0 && ev.reportMode <= 255,
      'token/mode range',
    );
    assert(ev.body.length <= 300, 'body length');
  }
  if (ev.type === 'sta-connected' && ev.vlanId !== undefined) assert(Number.isInteger(ev.vlanId) && ev.vlanId <= 4095, 'vlan range');
}

/** Deep equality good enough for ApEvents (Buffers compared by content). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Run `fn`; only HostapdParseError may escape. Returns whether it parsed. */
function guarded<T>(fn: () => T, check: (v: T) => void, input: string): boolean {
  try {
    check(fn());
    return true;
  } catch (err) {
    if (err instanceof HostapdParseError) return false;
    throw new Error(`seed ${SEED}: ${(err as Error).stack} for input ${JSON.stringify(input)}`);
  }
}

describe('hostapd/ubus parser fuzz', () => {
  it(`${ITERATIONS} generated, mutated and random inputs`, () => {
    const started = performance.now();
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const kind = i % 4;
      let input: string;
      if (kind === 0) {
        const [line, want] = validEvent();
        assert(same(parseEvent(line, 'w'), want), `valid line ${line}`);
        input = mutate(line);
      } else if (kind === 1) {
        input = mutate(validReply());
      } else if (kind === 2) {
        input = mutate(validUbus());
      } else {
        input = Array.from({ length: r.int(40) }, () => r.pick(ALPHABET) + String.fromCharCode(32 + r.int(95))).join('');
      }
      const ok = [
        guarded(() => parseEvent(input, 'w'), checkEvent, input),
        guarded(() => parseEvent(cliEventLine(input, 'w') ?? '', 'w'), checkEvent, input),
        guarded(
          () => parsePmksaList(input),
          (l) => l.forEach((e) => assert(e.pmkid.length === 16 && MAC.test(e.spa), 'PMKSA entry')),
          input,
        ),
        guarded(
          () => parseStaReply(input),
          (s) => assert(s === null || MAC.test(s.addr), 'STA address'),
          input,
        ),
        guarded(
          () => parseNeighborList(input),
          (l) => l.forEach((e) => assert(e.ssid.length <= 32 && MAC.test(e.bssid), 'neighbor entry')),
          input,
        ),
        guarded(() => parseUbusEvent(input, 'w'), checkEvent, input),
      ];
      for (const o of ok) o ? parsed++ : rejected++;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `hostapd fuzz: ${ITERATIONS} inputs × 6 parsers in ${seconds.toFixed(2)} s (${parsed} parsed, ${rejected} rejected), seed ${SEED}`,
    );
    expect(parsed).toBeGreaterThan(ITERATIONS / 10);
    expect(rejected).toBeGreaterThan(ITERATIONS / 10);
    // No time limit: a busy machine is slower, not wrong (the rate is printed above).
  });
});
