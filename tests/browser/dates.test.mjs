// The browser tests' date arithmetic on every day of the next two years (no stack needed):
// the visit day they choose is a weekday inside the window, outside the reviewer's unavailable
// days, and the first such day; none is found only when none exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDays, firstVisitDay, isWeekday } from './dates.mjs';

const TODAY = new Date().toISOString().slice(0, 10);
const DAYS = 731;

test('addDays and isWeekday agree with the calendar on every day of the next two years', () => {
  let weekday = new Date(`${TODAY}T12:00:00Z`).getUTCDay();
  for (let n = 0; n < DAYS; n += 1) {
    const iso = addDays(TODAY, n);
    assert.match(iso, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(addDays(iso, 1) > iso, true, `${iso} + 1 day`);
    assert.equal(addDays(addDays(iso, 40), -40), iso);
    assert.equal(isWeekday(iso), weekday >= 1 && weekday <= 5, iso);
    weekday = (weekday + 1) % 7;
  }
});

test('firstVisitDay finds the first free weekday of a window on every day of the next two years', () => {
  for (let n = 0; n < DAYS; n += 1) {
    const today = addDays(TODAY, n);
    // A fortnight away a few weeks ahead, as the demo pool has, and a single day.
    const unavailable = [
      { start: addDays(today, 30 + (n % 9)), end: addDays(today, 30 + (n % 9) + 11) },
      { start: addDays(today, 31), end: addDays(today, 31) },
    ];
    for (const [from, to] of [[30, 40], [100, 114]]) {
      const day = firstVisitDay(today, from, to, unavailable);
      const free = [];
      for (let d = from; d <= to; d += 1) {
        const iso = addDays(today, d);
        if (isWeekday(iso) && !unavailable.some(({ start, end }) => start <= iso && iso <= end)) free.push(iso);
      }
      assert.equal(day, free[0] ?? null, `${today}, window ${from}..${to}`);
    }
    assert.equal(firstVisitDay(today, 5, 6, [{ start: addDays(today, 0), end: addDays(today, 10) }]), null);
  }
});
