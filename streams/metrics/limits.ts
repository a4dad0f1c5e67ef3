/**
 * The metric aggregator's limits, each with the reason for its value. Relations between them are
 * asserted at load.
 */
import assert from 'node:assert/strict';

/** Tumbling event-time windows: 10 s for dashboards that follow a spike, 1 min for trends and routing. */
export const WINDOW_SIZES_MS = [10_000, 60_000] as const;
export type WindowSizeMs = (typeof WINDOW_SIZES_MS)[number];
/**
 * How far behind the newest event time seen the watermark trails. Outcomes are stamped by the
 * result processor as it applies them; records of different partitions reach us a second or two
 * apart, so two seconds covers ordinary disorder without holding windows back.
 */
export const OUT_OF_ORDERNESS_MS = 2_000;
/**
 * How long after the watermark passed its end a window still accepts records. Longer holds every
 * window open longer (later output); shorter counts more records as late. Ten seconds covers a
 * restart of the result processor.
 */
export const ALLOWED_LATENESS_MS = 10_000;
/**
 * With no input, event time stands still and no window would ever close. After this much quiet,
 * the watermark follows the wall clock instead, trailing it by IDLE_WATERMARK_LAG_MS.
 */
export const IDLE_AFTER_MS = 2_000;
/** How far behind the wall clock an idle watermark stays: the longest a quiet pipeline may still deliver. */
export const IDLE_WATERMARK_LAG_MS = 15_000;
/** Channel latency the histograms track, in ms: a minute is past every channel's deadline. */
export const LATENCY_MS_MAX = 60_000;
/** Open windows held at once per size and dimension value before the oldest is emitted early (memory bound). */
export const OPEN_WINDOWS_MAX = 1_000;
/** Timer that advances an idle watermark and emits what closed. */
export const TICK_MS = 1_000;

assert.ok(OUT_OF_ORDERNESS_MS >= 0 && ALLOWED_LATENESS_MS >= 0, 'non-negative delays');
assert.ok(IDLE_WATERMARK_LAG_MS > OUT_OF_ORDERNESS_MS, 'an idle watermark never runs ahead of a busy one');
assert.ok(WINDOW_SIZES_MS.every((s) => s % WINDOW_SIZES_MS[0] === 0), 'larger windows are whole multiples of the smallest');
