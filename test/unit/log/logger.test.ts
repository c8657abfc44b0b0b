import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { createLogger, partLogger } from '../../../daemon/log/logger.js';
import { parseStrictJson } from '../../helpers/strict-json.js';

describe('part loggers', () => {
  it('print one "part" per line', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    const root = createLogger('info', out);
    partLogger(root, 'rrb').info({ mac: '02:00:00:00:09:00' }, 'R0KH-R1KH endpoint open');
    await new Promise((r) => setImmediate(r));
    expect(parseStrictJson(lines[0]!)).toMatchObject({ svc: 'kmsd', part: 'rrb', msg: 'R0KH-R1KH endpoint open' });
  });

  it('refuse to nest, which would print "part" twice', () => {
    const root = createLogger('info', new PassThrough());
    expect(() => partLogger(partLogger(root, 'distribution'), 'rrb')).toThrow(/logger part "rrb" made from part "distribution"/);
  });

  it('the strict parser does catch a duplicate key', () => {
    expect(() => parseStrictJson('{"part":"distribution","part":"rrb"}')).toThrow(/duplicate key "part"/);
    expect(parseStrictJson('{"a":[1,{"b":"x\\"y"}],"c":null}')).toEqual({ a: [1, { b: 'x"y' }], c: null });
  });
});
