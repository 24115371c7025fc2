// The part of moment's `format()` that metadata-action users put in `{{date '...'}}`,
// with Intl.DateTimeFormat for the time zone (moment-timezone is too heavy to load).
// English names only: metadata-action never sets a moment locale.

/** The calendar fields of an instant as seen in one time zone. */
interface WallClock {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  readonly weekday: number; // 0 = Sunday
  /** Minutes east of UTC. */
  readonly offset: number;
  readonly epochMs: number;
}

type Piece = string | ((clock: WallClock) => string);

/** A moment format string, checked and split once at parse time. */
export interface DateFormat {
  readonly source: string;
  readonly pieces: readonly Piece[];
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const pad = (value: number, width: number): string => {
  const digits = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${digits}` : digits;
};

function ordinal(value: number): string {
  const tens = value % 100;
  if (tens >= 11 && tens <= 13) return `${value}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][value % 10] ?? 'th';
  return `${value}${suffix}`;
}

function dayOfYear(c: WallClock): number {
  return Math.round((Date.UTC(c.year, c.month - 1, c.day) - Date.UTC(c.year, 0, 1)) / 86_400_000) + 1;
}

/** ISO 8601 week number and week-numbering year (weeks start on Monday; week 1 holds January 4th). */
function isoWeek(c: WallClock): { week: number; year: number } {
  const date = new Date(Date.UTC(c.year, c.month - 1, c.day));
  const isoDay = c.weekday === 0 ? 7 : c.weekday;
  date.setUTCDate(date.getUTCDate() + 4 - isoDay); // the Thursday of this week decides the year
  const year = date.getUTCFullYear();
  const week = Math.floor((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return { week, year };
}

function zone(c: WallClock, separator: string): string {
  const sign = c.offset < 0 ? '-' : '+';
  const minutes = Math.abs(c.offset);
  return `${sign}${pad(Math.floor(minutes / 60), 2)}${separator}${pad(minutes % 60, 2)}`;
}

function fraction(digits: number): (c: WallClock) => string {
  // moment truncates: S is tenths, SS hundredths, SSS milliseconds, more digits pad with zeros.
  return (c) => (digits <= 3 ? pad(Math.floor(c.millisecond / 10 ** (3 - digits)), digits) : pad(c.millisecond, 3) + '0'.repeat(digits - 3));
}

const hour12 = (c: WallClock): number => c.hour % 12 || 12;

const TOKENS: Readonly<Record<string, (c: WallClock) => string>> = {
  M: (c) => String(c.month),
  Mo: (c) => ordinal(c.month),
  MM: (c) => pad(c.month, 2),
  MMM: (c) => (MONTHS[c.month - 1] as string).slice(0, 3),
  MMMM: (c) => MONTHS[c.month - 1] as string,
  Q: (c) => String(Math.ceil(c.month / 3)),
  Qo: (c) => ordinal(Math.ceil(c.month / 3)),
  D: (c) => String(c.day),
  Do: (c) => ordinal(c.day),
  DD: (c) => pad(c.day, 2),
  DDD: (c) => String(dayOfYear(c)),
  DDDo: (c) => ordinal(dayOfYear(c)),
  DDDD: (c) => pad(dayOfYear(c), 3),
  d: (c) => String(c.weekday),
  do: (c) => ordinal(c.weekday),
  dd: (c) => (DAYS[c.weekday] as string).slice(0, 2),
  ddd: (c) => (DAYS[c.weekday] as string).slice(0, 3),
  dddd: (c) => DAYS[c.weekday] as string,
  e: (c) => String(c.weekday), // the English locale's week starts on Sunday
  E: (c) => String(c.weekday === 0 ? 7 : c.weekday),
  W: (c) => String(isoWeek(c).week),
  Wo: (c) => ordinal(isoWeek(c).week),
  WW: (c) => pad(isoWeek(c).week, 2),
  GG: (c) => pad(isoWeek(c).year % 100, 2),
  GGGG: (c) => pad(isoWeek(c).year, 4),
  Y: (c) => (c.year <= 9999 ? pad(c.year, 4) : `+${c.year}`),
  YY: (c) => pad(((c.year % 100) + 100) % 100, 2),
  YYYY: (c) => pad(c.year, 4),
  a: (c) => (c.hour > 11 ? 'pm' : 'am'),
  A: (c) => (c.hour > 11 ? 'PM' : 'AM'),
  H: (c) => String(c.hour),
  HH: (c) => pad(c.hour, 2),
  h: (c) => String(hour12(c)),
  hh: (c) => pad(hour12(c), 2),
  k: (c) => String(c.hour || 24),
  kk: (c) => pad(c.hour || 24, 2),
  Hmm: (c) => `${c.hour}${pad(c.minute, 2)}`,
  Hmmss: (c) => `${c.hour}${pad(c.minute, 2)}${pad(c.second, 2)}`,
  hmm: (c) => `${hour12(c)}${pad(c.minute, 2)}`,
  hmmss: (c) => `${hour12(c)}${pad(c.minute, 2)}${pad(c.second, 2)}`,
  m: (c) => String(c.minute),
  mm: (c) => pad(c.minute, 2),
  s: (c) => String(c.second),
  ss: (c) => pad(c.second, 2),
  Z: (c) => zone(c, ':'),
  ZZ: (c) => zone(c, ''),
  x: (c) => String(c.epochMs),
  X: (c) => String(Math.floor(c.epochMs / 1000)),
};
for (let digits = 1; digits <= 9; digits++) (TOKENS as Record<string, (c: WallClock) => string>)['S'.repeat(digits)] = fraction(digits);

// moment's tokenizer: the longest token at each position, `[...]` is literal text,
// `\` makes the next token literal, and any other character stands for itself.
// The tokens moment knows but this file does not implement are matched too, so
// they are refused instead of printed as letters.
const TOKENIZER =
  /\[[^[]*\]|\\?(?:[Hh]mm(?:ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[ow]?|W[oW]?|Qo?|N{1,5}|YYYYYY|YYYYY|YYYY|YY|y{2,4}|yo?|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?|[\s\S])/g;
/** Letters that moment formats (alone or repeated) but that are not in TOKENS. */
const UNSUPPORTED = /^(?:w[ow]?|N{1,5}|YYYYYY?|y{2,4}|yo?|g{2,5}|G{5}|zz?)$/;

export const SUPPORTED_DATE_TOKENS = 'YYYY YY Y Q M MM MMM MMMM Mo D DD Do DDD DDDD d dd ddd dddd E e W WW GGGG H HH h hh k kk m mm s ss S SS SSS a A Z ZZ x X [literal text]';

/** Checks and splits a moment format. Returns the problem when it uses a token this file lacks. */
export function compileDateFormat(source: string): DateFormat | { problem: string } {
  const pieces: Piece[] = [];
  for (const match of source.matchAll(TOKENIZER)) {
    const text = match[0];
    if (text.startsWith('[')) {
      pieces.push(text.slice(1, -1));
    } else if (text.startsWith('\\') && text.length > 1) {
      pieces.push(text.slice(1));
    } else if (TOKENS[text]) {
      pieces.push(TOKENS[text]);
    } else if (UNSUPPORTED.test(text)) {
      return { problem: `the date token "${text}" is not supported (supported: ${SUPPORTED_DATE_TOKENS})` };
    } else {
      pieces.push(text);
    }
  }
  return { source, pieces };
}

/**
 * moment's `format()` without a format (what `{{date}}` or an unquoted `{{date YYYYMMDD}}`
 * gives in metadata-action): ISO 8601 to the second, `Z` when the offset is zero.
 */
export const MOMENT_DEFAULT_FORMAT: DateFormat = {
  source: 'YYYY-MM-DDTHH:mm:ssZ',
  pieces: [...(compileDateFormat('YYYY-MM-DDTHH:mm:ss') as DateFormat).pieces, (c: WallClock) => (c.offset === 0 ? 'Z' : zone(c, ':'))],
};

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when Intl knows the IANA zone name (case-insensitively, as moment-timezone does). */
export function isTimeZone(timeZone: string): boolean {
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function wallClock(date: Date, timeZone: string): WallClock {
  const epochMs = date.getTime();
  let offset = 0;
  if (timeZone.toUpperCase() !== 'UTC') {
    const parts: Record<string, number> = {};
    for (const part of zoneFormatter(timeZone).formatToParts(date)) parts[part.type] = Number(part.value);
    const asUtc = new Date(0);
    asUtc.setUTCFullYear(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1);
    asUtc.setUTCHours(parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, 0);
    offset = Math.round((asUtc.getTime() - (epochMs - (((epochMs % 1000) + 1000) % 1000))) / 60_000);
  }
  const shifted = new Date(epochMs + offset * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
    weekday: shifted.getUTCDay(),
    offset,
    epochMs,
  };
}

/** Renders `date` in `timeZone` (an IANA name, already checked with isTimeZone). */
export function formatDate(date: Date, format: DateFormat, timeZone: string): string {
  const clock = wallClock(date, timeZone);
  return format.pieces.map((piece) => (typeof piece === 'string' ? piece : piece(clock))).join('');
}
