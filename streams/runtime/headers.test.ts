import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DLQ_HEADERS, deadLetterHeaders, headerText, headersView, outputHeaders } from './headers.ts';
import { DLQ_ERROR_MESSAGE_CHARS_MAX, HEADER_VALUE_BYTES_MAX } from './limits.ts';

const hop = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const reason = { code: 'bad_magic', message: 'magic byte 9', processor: 'router', topic: 'payments.commands', partition: 2, offset: '41', attempts: 1, failedAtMs: 1_700_000_000_000 };

test('header text reads the first of repeated values and is undefined when absent', () => {
  assert.equal(headerText({ a: [Buffer.from('x'), Buffer.from('y')] }, 'a'), 'x');
  assert.equal(headerText({ a: 's' }, 'a'), 's');
  assert.equal(headerText({ a: undefined }, 'a'), undefined);
  assert.equal(headerText(undefined, 'a'), undefined);
  assert.equal(headerText({ a: [] }, 'a'), undefined);
});

test('the handler view is frozen UTF-8 and leaves out oversized values', () => {
  const view = headersView({ a: Buffer.from('é'), big: Buffer.alloc(HEADER_VALUE_BYTES_MAX + 1), gone: undefined });
  assert.deepEqual({ ...view }, { a: 'é' });
  assert.ok(Object.isFrozen(view));
  assert.deepEqual({ ...headersView(undefined) }, {});
});

test('output headers carry this hop and the incoming tracestate, whatever the handler set', () => {
  const out = outputHeaders({ traceparent: 'forged', tracestate: 'forged', x: 'y' }, hop, 'v=1');
  assert.deepEqual(out, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'v=1', x: 'y' });
  assert.deepEqual(outputHeaders(undefined, hop, undefined), { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  assert.equal(outputHeaders({ tracestate: 'forged' }, hop, undefined).tracestate, undefined);
});

test('dead-letter headers keep the original headers and add why and where', () => {
  const original = { traceparent: Buffer.from('tp'), [DLQ_HEADERS.errorCode]: 'old' };
  const headers = deadLetterHeaders(original, reason);
  assert.deepEqual(headers, {
    traceparent: Buffer.from('tp'),
    'dlq.error.code': 'bad_magic',
    'dlq.error.message': 'magic byte 9',
    'dlq.processor': 'router',
    'dlq.source.topic': 'payments.commands',
    'dlq.source.partition': '2',
    'dlq.source.offset': '41',
    'dlq.attempts': '1',
    'dlq.failed.at.ms': '1700000000000',
  });
  assert.equal(original[DLQ_HEADERS.errorCode], 'old', 'the input object is not changed');
});

test('dead-letter headers cut a long error message', () => {
  const headers = deadLetterHeaders(undefined, { ...reason, message: 'x'.repeat(DLQ_ERROR_MESSAGE_CHARS_MAX * 3) });
  const message = headers[DLQ_HEADERS.errorMessage];
  assert.equal(typeof message === 'string' ? message.length : -1, DLQ_ERROR_MESSAGE_CHARS_MAX);
});
