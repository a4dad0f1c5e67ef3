import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currencyExponent, formatMajor, parseMajor, parseMinor } from './money.ts';

test('major units with two decimals round-trip minor units exactly, large amounts included', () => {
  const cases: Array<[bigint, string]> = [
    [0n, '0.00'],
    [1n, '0.01'],
    [10n, '0.10'],
    [123456n, '1234.56'],
    [-5n, '-0.05'],
    [999_999_999_999_999_999n, '9999999999999999.99'],
    [2n ** 53n + 1n, '90071992547409.93'],
  ];
  for (const [minor, text] of cases) {
    assert.equal(formatMajor(minor, 2), text);
    assert.equal(parseMajor(text, 2), minor);
  }
});

test('zero-decimal and three-decimal currencies convert exactly and pad to two decimals only when exact', () => {
  assert.equal(currencyExponent('JPY'), 0);
  assert.equal(formatMajor(100n, 0, 2), '100.00');
  assert.equal(parseMajor('100.00', 0), 100n);
  assert.equal(parseMajor('100', 0), 100n);
  assert.equal(parseMajor('100.50', 0), undefined, 'a fraction of a yen is not an amount');
  assert.equal(formatMajor(1234n, 3), '1.234');
  assert.equal(parseMajor('1.234', 3), 1234n);
  assert.throws(() => formatMajor(1234n, 3, 2), RangeError);
});

test('amount parsers reject everything that is not exactly a number', () => {
  for (const bad of ['', '1.', '.5', '1.005', '1e3', ' 1.00', '1,00', '0x10', '1.00 ', '12345678901234567890.00']) {
    assert.equal(parseMajor(bad, 2), undefined, bad);
  }
  assert.equal(parseMajor('1.500', 2), 150n, 'trailing zeros past the exponent are exact');
  for (const bad of ['', '1.0', '1e3', '+1', '1234567890123456789', ' 1']) assert.equal(parseMinor(bad), undefined, bad);
  assert.equal(parseMinor('123456789012345678'), 123456789012345678n);
  assert.equal(currencyExponent('XXX'), undefined);
  assert.equal(currencyExponent('constructor'), undefined);
});
