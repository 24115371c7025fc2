// The moment format subset of {{date}} and {{commit_date}}, with time zones from Intl.
import { describe, expect, it } from 'vitest';
import { MOMENT_DEFAULT_FORMAT, compileDateFormat, formatDate, isTimeZone, type DateFormat } from '../../src/tags/dates.js';

function compile(source: string): DateFormat {
  const format = compileDateFormat(source);
  if ('problem' in format) throw new Error(format.problem);
  return format;
}

const at = (iso: string, source: string, timeZone = 'UTC'): string => formatDate(new Date(iso), compile(source), timeZone);

describe('formatDate', () => {
  it.each([
    // README "{{date '<format>' tz='<timezone>'}}" table (the long example is moment's, at 15:25:50).
    ['2020-01-10T00:30:00Z', 'YYYYMMDD', 'UTC', '20200110'],
    ['2020-01-10T15:25:50Z', 'dddd, MMMM Do YYYY, h:mm:ss a', 'UTC', 'Friday, January 10th 2020, 3:25:50 pm'],
    ['2020-01-10T00:30:00Z', 'YYYYMMDD-HHmmss', 'Asia/Tokyo', '20200110-093000'],
    // README "Global expressions" label example.
    ['2020-01-10T00:30:00.123Z', 'YYYY-MM-DDTHH:mm:ss.SSS[Z]', 'UTC', '2020-01-10T00:30:00.123Z'],
    ['2020-01-10T00:30:00Z', 'YY M D H m s', 'UTC', '20 1 10 0 30 0'],
    ['2020-01-10T00:30:00Z', 'Z ZZ', 'UTC', '+00:00 +0000'],
    ['2020-01-10T00:30:00Z', 'Z', 'Asia/Kolkata', '+05:30'],
    ['2020-01-10T00:30:00Z', 'YYYY-MM-DD HH:mm Z', 'America/New_York', '2020-01-09 19:30 -05:00'],
    ['2020-07-10T00:30:00Z', 'HH:mm ZZ', 'America/New_York', '20:30 -0400'],
    ['2020-01-10T00:30:00.999Z', 'x X', 'UTC', '1578616200999 1578616200'],
    ['2020-01-10T00:30:00.987Z', 'S SS SSS SSSS', 'UTC', '9 98 987 9870'],
    ['2020-01-10T00:05:09Z', 'h hh k kk A a', 'UTC', '12 12 24 24 AM am'],
    ['2020-01-10T13:05:09Z', 'h hh k kk A a', 'UTC', '1 01 13 13 PM pm'],
    ['2020-01-10T13:05:09Z', 'Hmm hmmss', 'UTC', '1305 10509'],
    ['2020-03-01T00:00:00Z', 'MMM MMM MMMM Mo Q Qo', 'UTC', 'Mar Mar March 3rd 1 1st'],
    ['2020-12-31T00:00:00Z', 'DDD DDDD DDDo', 'UTC', '366 366 366th'],
    ['2020-02-02T00:00:00Z', 'DDD DDDD', 'UTC', '33 033'],
    ['2020-01-12T00:00:00Z', 'd do dd ddd dddd E e', 'UTC', '0 0th Su Sun Sunday 7 0'],
    ['2021-01-03T00:00:00Z', 'W WW Wo GGGG GG', 'UTC', '53 53 53rd 2020 20'],
    ['2020-01-10T00:30:00Z', '[YYYY is] YYYY', 'UTC', 'YYYY is 2020'],
    ['2020-01-10T00:30:00Z', '\\YYYY-YYYY', 'UTC', 'YYYY-2020'],
    ['2020-01-10T00:30:00Z', 'T t _ - / : , .', 'UTC', 'T t _ - / : , .'],
    ['2020-01-10T00:30:00Z', 'Y', 'UTC', '2020'],
    ['2020-01-10T23:30:00Z', 'YYYYMMDD', 'Asia/Tokyo', '20200111'],
    ['2020-01-10T00:30:00Z', 'YYYYMMDD HH', 'asia/tokyo', '20200110 09'],
  ])('%s %j in %s → %j', (iso, format, timeZone, expected) => {
    expect(at(iso, format, timeZone)).toBe(expected);
  });

  it.each([
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [21, '21st'],
    [22, '22nd'],
    [23, '23rd'],
    [31, '31st'],
  ])('Do of day %i is %s', (day, expected) => {
    expect(at(`2020-01-${String(day).padStart(2, '0')}T12:00:00Z`, 'Do')).toBe(expected);
  });
});

describe('MOMENT_DEFAULT_FORMAT', () => {
  it.each([
    ['UTC', '2020-01-10T00:30:00Z'],
    ['Europe/London', '2020-01-10T00:30:00Z'],
    ['Asia/Tokyo', '2020-01-10T09:30:00+09:00'],
    ['America/New_York', '2020-01-09T19:30:00-05:00'],
  ])('in %s → %s (Z when the offset is zero, as moment)', (timeZone, expected) => {
    expect(formatDate(new Date('2020-01-10T00:30:00.456Z'), MOMENT_DEFAULT_FORMAT, timeZone)).toBe(expected);
  });
});

describe('compileDateFormat', () => {
  it.each(['w', 'wo', 'ww', 'gg', 'gggg', 'GGGGG', 'N', 'y', 'yyyy', 'YYYYY', 'z', 'zz'])('refuses the moment token %j it does not implement', (token) => {
    const format = compileDateFormat(`YYYY ${token}`);
    expect(format).toHaveProperty('problem');
    expect((format as { problem: string }).problem).toContain(`the date token "${token}" is not supported`);
  });

  it('accepts an unsupported token when it is escaped or bracketed', () => {
    expect(at('2020-01-10T00:30:00Z', '[w] \\w')).toBe('w w');
  });
});

describe('isTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Asia/Tokyo', true],
    ['Europe/Paris', true],
    ['asia/tokyo', true],
    ['Mars/Olympus', false],
    ['', false],
  ])('%j → %s', (zone, expected) => {
    expect(isTimeZone(zone)).toBe(expected);
  });
});
