/** Calendar days and wall-clock times in the configured time zone (`timezone:`), from Intl alone. */

/** The calendar day (YYYY-MM-DD) that `at` falls on in `timeZone`: the day ignore entries expire and reports are filed by. */
export function dayIn(timeZone: string, at: Date = new Date()): string {
  return formatter(dayFormats, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }, 'en-CA').format(at);
}

// Building an Intl.DateTimeFormat costs far more than using one: one per zone and shape.
const dayFormats = new Map<string, Intl.DateTimeFormat>();
const clockFormats = new Map<string, Intl.DateTimeFormat>();

function formatter(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions, locale: string): Intl.DateTimeFormat {
  let f = cache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    cache.set(timeZone, f);
  }
  return f;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What a clock in `timeZone` shows at `instant`. */
export function wallClock(instant: Date | number, timeZone: string): WallClock {
  const clock = formatter(
    clockFormats,
    timeZone,
    { hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' },
    'en-US',
  );
  const parts = clock.formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}
