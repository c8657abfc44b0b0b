import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, setLogLevel } from '../../../daemon/log/logger.js';

// A reload changes the log level of loggers made long before it: kmsd's parts log through
// children of one root, which must follow the root's level.

describe('setLogLevel', () => {
  it('reaches children and grandchildren made before the change', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const root = createLogger('info', sink);
    const child = root.child({ part: 'distribution' });
    const grandchild = child.child({ part: 'rrb' });
    grandchild.debug('hidden');
    setLogLevel(root, 'debug');
    grandchild.debug('shown');
    child.debug('shown too');
    setLogLevel(root, 'error');
    child.warn('hidden again');
    root.info('hidden as well');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown', 'shown too']);
    // The control: a child given its own level keeps it.
    const own = root.child({}, { level: 'info' });
    setLogLevel(root, 'debug');
    expect(own.isLevelEnabled('debug')).toBe(false);
    expect(child.isLevelEnabled('debug')).toBe(true);
  });
});
