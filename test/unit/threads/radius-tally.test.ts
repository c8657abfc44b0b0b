import { describe, expect, it } from 'vitest';
import { RadiusTally } from '../../../daemon/threads/radius-tally.js';

describe('RadiusTally', () => {
  it('counts per label set, hands over only what changed, and starts again from zero', () => {
    const t = new RadiusTally();
    expect(t.pending).toBe(false);
    t.forwarded.add('auth', 'fr1');
    t.forwarded.add('auth', 'fr1');
    t.forwarded.add('acct', 'fr1');
    t.answered.add('auth', 'Access-Accept', 'fr1');
    t.dropped.add('bad-message-authenticator', 'ap1');
    t.observe('auth', 0.001);
    t.observe('auth', 0.002);
    expect(t.pending).toBe(true);
    expect(t.take()).toEqual({
      dropped: [['bad-message-authenticator', 'ap1', 1]],
      forwarded: [
        ['auth', 'fr1', 2],
        ['acct', 'fr1', 1],
      ],
      answered: [['auth', 'Access-Accept', 'fr1', 1]],
      latency: [['auth', [0.001, 0.002]]],
    });
    expect(t.pending).toBe(false);
    t.forwarded.add('auth', 'fr1');
    expect(t.take()).toEqual({ dropped: [], forwarded: [['auth', 'fr1', 1]], answered: [], latency: [] });
  });

  it('label sets that share a prefix are different counters', () => {
    const t = new RadiusTally();
    t.answered.add('auth', 'Access-Accept', 'fr1');
    t.answered.add('auth', 'Access-Reject', 'fr1');
    t.answered.add('auth', 'Access-Accept', 'fr2');
    expect(t.take().answered).toEqual([
      ['auth', 'Access-Accept', 'fr1', 1],
      ['auth', 'Access-Reject', 'fr1', 1],
      ['auth', 'Access-Accept', 'fr2', 1],
    ]);
  });
});
