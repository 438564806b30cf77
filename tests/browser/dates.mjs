// Date arithmetic the browser tests rely on, pure (no stack, no clock of its own): the caller
// passes today, so dates.test.mjs can check every day of the next two years. Days are ISO
// strings (YYYY-MM-DD, the value format of <input type="date">) counted in UTC, as the service
// counts them.

const DAY_MS = 24 * 60 * 60 * 1000;

/** `iso` + `days`, as YYYY-MM-DD. */
export function addDays(iso, days) {
  return new Date(Date.parse(`${iso}T12:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Monday to Friday. */
export function isWeekday(iso) {
  const day = new Date(`${iso}T12:00:00Z`).getUTCDay();
  return day >= 1 && day <= 5;
}

/**
 * The first weekday `from`..`to` days after `today` outside every `{start, end}` range of
 * `unavailable` (inclusive, as the reviewer pool stores them), or null when there is none.
 */
export function firstVisitDay(today, from, to, unavailable = []) {
  for (let days = from; days <= to; days += 1) {
    const iso = addDays(today, days);
    if (isWeekday(iso) && !unavailable.some(({ start, end }) => start <= iso && iso <= end)) return iso;
  }
  return null;
}
