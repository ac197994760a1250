import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { globMatch } from '../dist/util/glob.js';

const SPECIAL = /[*?[\\]/;

/** A well-formed glob pattern as tokens, each with its regex equivalent. */
const letter = fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', '-', ']', '^', 'x');
const literal = letter.map((c) => ({ glob: c, re: c.replace(/[\]^\\-]/g, '\\$&') }));
const escaped = fc.constantFrom('*', '?', '[', ']', '\\').map((c) => ({ glob: `\\${c}`, re: `\\${c}` }));
const star = fc.constant({ glob: '*', re: '[\\s\\S]*' });
const qmark = fc.constant({ glob: '?', re: '[\\s\\S]' });
const member = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'A', 'B', 'x').map((c) => ({ glob: c, re: c })),
  fc.constantFrom(['a', 'c'], ['A', 'B'], ['b', 'x']).map(([from, to]) => ({ glob: `${from}-${to}`, re: `${from}-${to}` })),
  fc.constant({ glob: '\\]', re: '\\]' }),
);
const klass = fc.tuple(fc.boolean(), fc.array(member, { minLength: 1, maxLength: 3 })).map(([negate, members]) => ({
  glob: `[${negate ? '^' : ''}${members.map((m) => m.glob).join('')}]`,
  re: `[${negate ? '^' : ''}${members.map((m) => m.re).join('')}]`,
}));
const pattern = fc.array(fc.oneof(literal, literal, escaped, star, qmark, klass), { maxLength: 6 }).map((tokens) => ({
  glob: tokens.map((t) => t.glob).join(''),
  re: tokens.map((t) => t.re).join(''),
}));
const subject = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', 'x', '*', '?', '[', ']', '\\', '-', '^'), maxLength: 8 });

describe('globMatch properties', () => {
  test('agrees with a regex translation on non-empty subjects', () => {
    fc.assert(fc.property(pattern, subject.filter((s) => s.length > 0), fc.boolean(), (p, s, nocase) => {
      const expected = new RegExp(`^(?:${p.re})$`, nocase ? 'i' : '').test(s);
      assert.equal(globMatch(p.glob, s, nocase), expected, `${p.glob} vs ${s}`);
    }), { numRuns: 5000 });
  });

  test('an empty subject matches only the empty pattern (Redis never lets * match nothing at all)', () => {
    fc.assert(fc.property(fc.string(), (p) => {
      assert.equal(globMatch(p, ''), p === '');
    }));
  });

  test('a pattern without special characters matches only itself', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }).filter((s) => !SPECIAL.test(s)), fc.string({ unit: 'binary' }), (p, s) => {
      assert.equal(globMatch(p, p), true);
      assert.equal(globMatch(p, s), p === s);
    }));
  });

  test('nocase folds ASCII letters only', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }).filter((s) => !SPECIAL.test(s)), (p) => {
      const upper = p.replace(/[a-z]/g, (c) => c.toUpperCase());
      assert.equal(globMatch(p, upper, true), true);
    }));
    assert.equal(globMatch('\xe9', '\xc9', true), false);
  });

  test('* matches every non-empty subject', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1 }), (s) => {
      assert.equal(globMatch('*', s), true);
      assert.equal(globMatch('**', s), true);
      assert.equal(globMatch(`*${s.replace(/[*?[\\]/g, '\\$&')}`, s), true);
    }));
  });
});

describe('globMatch Redis quirks', () => {
  const cases = [
    // [pattern, subject, expected]
    ['h?llo', 'hello', true], ['h*llo', 'heeeello', true], ['h[ae]llo', 'hallo', true], ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true], ['h[c-a]llo', 'hbllo', true], // reversed ranges are swapped
    ['a*', 'a', true], ['a**', 'a', true], ['a*?', 'a', false], ['*', '', false], ['', '', true],
    ['[ab', 'a', true], ['[ab', 'b', true], ['[ab', '[', false], // an unclosed class runs to the end
    ['[', '[', false], ['[^', 'x', true], ['x[', 'x[', false],
    ['[a-]', ']', true], ['[a-]', '_', true], ['[a-]', 'a', true], ['[a-]', 'b', false], ['[a-]', '-', false],
    ['[a-]x', 'x', true], // the range swallows the ']', so "x" is another class member
    ['[]]', ']', false], ['[\\]]', ']', true], ['[\\a]', 'a', true],
    ['\\', '\\', true], ['a\\', 'a\\', true], ['\\*', '*', true], ['\\*', 'a', false], ['\\a', 'a', true],
    ['[a-\xe9]', 'A', true], ['[a-\xe9]', '\xf0', true], ['[a-\xe9]', 'b', false], // bytes >= 0x80 are negative chars
  ];
  for (const [p, s, expected] of cases) {
    test(`${JSON.stringify(p)} vs ${JSON.stringify(s)} -> ${expected}`, () => assert.equal(globMatch(p, s), expected));
  }

  test('nocase applies to ranges after swapping and not to escaped class members', () => {
    assert.equal(globMatch('[A-C]', 'b', true), true);
    assert.equal(globMatch('[Z-a]', 'b', true), false); // becomes z..a after lowering: empty
    assert.equal(globMatch('[\\A]', 'a', true), false);
    assert.equal(globMatch('PORT', 'port', true), true);
    assert.equal(globMatch('PORT', 'port', false), false);
  });

  test('backtracking stays bounded', () => {
    const start = Date.now();
    assert.equal(globMatch(`${'a*'.repeat(30)}b`, 'a'.repeat(20000)), false);
    assert.ok(Date.now() - start < 1000);
  });
});
