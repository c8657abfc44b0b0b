import { describe, expect, it } from 'vitest';
import { rejectLogFields } from '../../../adapters/radius/reject-log.js';
import { attrString, type RadiusPacket } from '../../../adapters/radius/packet.js';
import { Attr, Code } from '../../../adapters/radius/codes.js';

const packet = (code: number, attributes: RadiusPacket['attributes']): RadiusPacket => ({
  code,
  identifier: 1,
  authenticator: Buffer.alloc(16),
  attributes,
});

describe('what the log says about a relayed Access-Reject', () => {
  const request = packet(Code.AccessRequest, [
    attrString(Attr.UserName, 'anonymous@corp.example'),
    { type: Attr.UserPassword, value: Buffer.from('hidden-password-octets') },
    attrString(Attr.NasIdentifier, 'ap7.example.com'),
    attrString(Attr.CallingStationId, '02-00-00-00-00-07'),
    { type: Attr.EapMessage, value: Buffer.from('eap-with-inner-secrets') },
  ]);

  it('names identity, station, NAS and the Reply-Messages in order, and reads nothing else', () => {
    const reject = packet(Code.AccessReject, [
      attrString(Attr.ReplyMessage, 'Account locked: '),
      attrString(Attr.ReplyMessage, 'call the helpdesk'),
      { type: Attr.State, value: Buffer.from('server-state') },
    ]);
    const f = rejectLogFields(request, reject);
    expect(f).toEqual({
      identity: 'anonymous@corp.example',
      sta: '02:00:00:00:00:07',
      nasIdentifier: 'ap7.example.com',
      reason: 'Account locked: call the helpdesk',
    });
    const text = JSON.stringify(f);
    for (const secret of ['hidden-password-octets', 'eap-with-inner-secrets', 'server-state']) expect(text).not.toContain(secret);
  });

  it('says what is missing, keeps one line per reject, and cuts long texts', () => {
    expect(rejectLogFields(packet(Code.AccessRequest, []), packet(Code.AccessReject, []))).toEqual({
      identity: null,
      sta: null,
      nasIdentifier: null,
      reason: null,
    });
    const forged = rejectLogFields(request, packet(Code.AccessReject, [attrString(Attr.ReplyMessage, 'no\n{"msg":"login accepted"}\r')]));
    expect(forged.reason).toBe('no {"msg":"login accepted"}');
    const long = rejectLogFields(request, packet(Code.AccessReject, [attrString(Attr.ReplyMessage, 'x'.repeat(250))]));
    expect(long.reason).toBe(`${'x'.repeat(200)}…`);
  });
});
