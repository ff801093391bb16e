import { ConfigError } from '../errors';
import { wallClock } from '../zoned-time';

/** A report day: the calendar day in the configured time zone and the instants it spans. */
export interface ReportDay {
  /** YYYY-MM-DD */
  day: string;
  /** The first instant of the day, in UTC. */
  start: Date;
  /** The first instant of the next day, in UTC: the day is [start, end). */
  end: Date;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The UTC instants a calendar day of `timeZone` spans. Days around a daylight-saving change
 * last 23 or 25 hours, so each bound is placed by the zone's offset at that bound.
 */
export function reportDay(day: string, timeZone: string): ReportDay {
  const m = DAY.exec(day);
  const utc = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(utc) || new Date(utc).toISOString().slice(0, 10) !== day) {
    throw new ConfigError(`expected a day as YYYY-MM-DD, got ${JSON.stringify(day)}`, { key: '--date' });
  }
  return { day, start: startOfDay(utc, timeZone), end: startOfDay(utc + 86_400_000, timeZone) };
}

/** The day before `day` (calendar arithmetic, no time zone involved). */
export function previousDay(day: string, count = 1): string {
  const [y, mo, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d - count)).toISOString().slice(0, 10);
}

function startOfDay(midnightUtc: number, timeZone: string): Date {
  let at = midnightUtc - offsetAt(midnightUtc, timeZone);
  // A second pass settles days whose midnight falls across an offset change.
  at = midnightUtc - offsetAt(at, timeZone);
  return new Date(at);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wall - Math.floor(instant / 1000) * 1000;
}
