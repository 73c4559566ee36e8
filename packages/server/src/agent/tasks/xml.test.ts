import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntities, parseXml } from './xml.js';

function events(xml: string, limits = {}): string[] {
  const out: string[] = [];
  parseXml(xml, { open: (n, a) => out.push(`<${n}${Object.entries(a).map(([k, v]) => ` ${k}=${v}`).join('')}>`), close: (n) => out.push(`</${n}>`) }, limits);
  return out;
}

test('elements and attributes, with prolog, comments, PIs, CDATA and text skipped', () => {
  const xml = `<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<?xml-stylesheet href="x"?>\n<!-- a -&#45;comment <b> -->\n<r a="1" b='two &amp; &lt;3&gt; &#65;&#x42;'>text<![CDATA[<not a tag>]]><e x = "y"/>\n<f></f></r>\n<!-- trailing -->\n`;
  assert.deepEqual(events(xml), ['<r a=1 b=two & <3> AB>', '<e x=y>', '</e>', '<f>', '</f>', '</r>']);
});

test('no DTD: internal subsets and undeclared entities are refused (no XXE, no entity expansion)', () => {
  const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r a="&x;"/>';
  assert.throws(() => events(xxe), /internal subsets are not supported/);
  assert.throws(() => events('<r a="&x;"/>'), /entity &x; is not supported/);
  assert.throws(() => decodeEntities('a & b'), /unterminated entity/);
  assert.throws(() => decodeEntities('&#0;'), /invalid character reference/);
  assert.throws(() => decodeEntities('&#xD800;'), /invalid character reference/);
});

test('malformed or truncated documents are errors', () => {
  for (const bad of ['', '<r>', '<r></s>', '<r a=1/>', '<r a="1" a="2"/>', '<r a="x<y"/>', '<r/><s/>', 'junk<r/>', '<r><!-- open', '<r a="1"b="2"/>', '</r>', '<r/>junk']) {
    assert.throws(() => events(bad), /XML: /, JSON.stringify(bad));
  }
});

test('depth, attribute and element limits are enforced', () => {
  assert.throws(() => events('<a>'.repeat(65) + '</a>'.repeat(65)), /nesting deeper than 64/);
  assert.doesNotThrow(() => events('<a>'.repeat(64) + '</a>'.repeat(64)));
  const attrs = Array.from({ length: 65 }, (_, i) => `a${i}="1"`).join(' ');
  assert.throws(() => events(`<r ${attrs}/>`), /more than 64 attributes/);
  assert.throws(() => events(`<r>${'<e/>'.repeat(10)}</r>`, { maxElements: 10 }), /more than 10 elements/);
});

test('attribute names cannot collide with Object.prototype', () => {
  const seen: Record<string, string>[] = [];
  parseXml('<r constructor="c" __proto__="p"/>', { open: (_n, a) => seen.push({ ...a }), close: () => undefined });
  assert.deepEqual(seen, [{ constructor: 'c', ['__proto__']: 'p' }]);
});
