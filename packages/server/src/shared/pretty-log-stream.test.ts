import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format } from './pretty-log-stream.js';

test('pretty log lines: time, level, component, message, extras; non-JSON passes through', () => {
  const t = Date.UTC(2026, 0, 1, 12, 0, 1);
  const out = format(JSON.stringify({ level: 40, time: t, pid: 1, component: 'acquire', msg: 'file missing, retrying', source: 'file:/x', retry_ms: 2000 }), false);
  assert.match(out, /^\d\d:\d\d:\d\d WARN {2}\[acquire\] file missing, retrying {2}source=file:\/x retry_ms=2000$/);
  assert.equal(format('not json', false), 'not json');
});
