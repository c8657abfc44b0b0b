// `node rrb-inject.js --ifname br-lan --src <AP BSSID> --dst <KMS MAC> --config <kms.yaml> --ap <name>
//  --frame replay-pull|wrong-key|truncated|unknown-r1kh [--capture ds-rrb.pcap]`
// Runs in an AP's namespace and sends one bad R0KH-R1KH frame to the KMS from the AP's bridge, with
// the AP's BSSID as source, as a broken or hostile AP would:
//   replay-pull   the AP's last PULL to the KMS (from the DS capture), sent again unchanged
//   truncated     that PULL cut in the middle of its TLVs
//   wrong-key     a fresh PULL sealed with a random key instead of the AP's rrbKey
//   unknown-r1kh  a fresh PULL, right key, naming an R1KH-ID the KMS does not know
// Prints one line saying what it sent. The KMS's verdict is in kmsd's log (assert-kms log:).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { PacketType, buildMessage, encodeFrame, openL2Socket } from '../../../adapters/rrb/index.js';
import { rrbFrames } from '../pcap.js';

const { values: a } = parseArgs({
  options: {
    ifname: { type: 'string' },
    src: { type: 'string' },
    dst: { type: 'string' },
    config: { type: 'string' },
    ap: { type: 'string' },
    frame: { type: 'string' },
    capture: { type: 'string' },
  },
});
const need = (k: keyof typeof a): string => {
  const v = a[k];
  if (!v) throw new Error(`--${k} is required`);
  return v;
};

function lastPull(): Buffer {
  const frames = rrbFrames(readFileSync(need('capture'))).filter(
    (f) => f.type === 'PULL' && f.src === need('src') && f.dst === need('dst'),
  );
  const last = frames[frames.length - 1];
  if (!last) throw new Error(`the DS capture holds no PULL from ${need('src')} to ${need('dst')} (replay needs a roam that PULLed first)`);
  return last.frame;
}

function freshPull(key: Buffer, r1khId: string): Buffer {
  const cfg = parseYaml(readFileSync(need('config'), 'utf8')) as { distribution: { aps: { name: string; nasIdentifier: string }[] } };
  const r0khId = Buffer.from(cfg.distribution.aps[0]!.nasIdentifier);
  const payload = buildMessage(
    {
      type: PacketType.PULL,
      nonce: randomBytes(16),
      seq: { dom: (randomBytes(4).readUInt32LE() | 1) >>> 0, seq: randomBytes(4).readUInt32LE(), ts: Math.floor(performance.now() / 1000) },
      r0khId,
      r1khId,
      staMac: '02:00:00:00:ee:01',
      pmkR0Name: randomBytes(16),
    },
    key,
    need('src'),
  );
  return encodeFrame({ dst: need('dst'), src: need('src'), packetType: PacketType.PULL, payload });
}

function apKey(): Buffer {
  const cfg = parseYaml(readFileSync(need('config'), 'utf8')) as { distribution: { aps: { name: string; rrbKey: string }[] } };
  const ap = cfg.distribution.aps.find((x) => x.name === need('ap'));
  if (!ap) throw new Error(`no AP ${need('ap')} in ${need('config')}`);
  return Buffer.from(ap.rrbKey, 'hex');
}

let frame: Buffer;
let what: string;
switch (need('frame')) {
  case 'replay-pull':
    frame = lastPull();
    what = `the last PULL from ${need('src')} again, unchanged (${frame.length} octets)`;
    break;
  case 'truncated': {
    const pull = lastPull();
    // Header (20) + auth_len (2) + part of the first TLV: the auth block claims more than is there.
    frame = pull.subarray(0, 20 + 2 + 9);
    what = `a PULL cut to ${frame.length} of ${pull.length} octets`;
    break;
  }
  case 'wrong-key':
    frame = freshPull(randomBytes(32), need('src'));
    what = `a PULL sealed with a random key, R1KH-ID ${need('src')}`;
    break;
  case 'unknown-r1kh':
    frame = freshPull(apKey(), '02:00:00:00:ee:ee');
    what = 'a PULL with the right key naming R1KH-ID 02:00:00:00:ee:ee';
    break;
  default:
    throw new Error(`unknown --frame ${a.frame}`);
}
const l2 = openL2Socket(need('ifname'));
l2.send(frame);
l2.close();
process.stdout.write(`sent ${what} from ${need('src')} to ${need('dst')} on ${need('ifname')}\n`);
