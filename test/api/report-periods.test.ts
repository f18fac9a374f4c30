import { describe, expect, it } from 'vitest';
import { monthsAndDays, percentOf, periodDates } from '../../api/reports.js';

describe('report periods', () => {
  it('names the parts of a year', () => {
    expect(periodDates({ year: 2024, period: 'q1' })).toEqual({ from: '2024-01-01', to: '2024-03-31' });
    expect(periodDates({ year: 2024, period: 'm2' })).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(periodDates({ year: 2024, period: 'h2' })).toEqual({ from: '2024-07-01', to: '2024-12-31' });
    expect(periodDates({ year: 2024, period: '9m' })).toEqual({ from: '2024-01-01', to: '2024-09-30' });
  });

  it('splits a span into whole months and the ragged days at its ends', () => {
    expect(monthsAndDays('2024-01-01', '2024-03-31')).toEqual({ months: ['2024-01-01', '2024-02-01', '2024-03-01'], days: [] });
    expect(monthsAndDays('2024-01-15', '2024-03-10')).toEqual({ months: ['2024-02-01'], days: [{ from: '2024-01-15', to: '2024-01-31' }, { from: '2024-03-01', to: '2024-03-10' }] });
    expect(monthsAndDays('2024-02-03', '2024-02-20')).toEqual({ months: [], days: [{ from: '2024-02-03', to: '2024-02-20' }] });
    expect(monthsAndDays('2024-02-01', '2024-02-29')).toEqual({ months: ['2024-02-01'], days: [] });
    expect(monthsAndDays('2023-12-31', '2024-01-31')).toEqual({ months: ['2024-01-01'], days: [{ from: '2023-12-31', to: '2023-12-31' }] });
    expect(monthsAndDays('2024-03-05', '2024-03-01')).toEqual({ months: [], days: [] });
  });

  it('gives the percent to one decimal, half up', () => {
    expect(percentOf(96, 190)).toBe(50.5);
    expect(percentOf(2, 11)).toBe(18.2);
    expect(percentOf(1, 8)).toBe(12.5);
    expect(percentOf(5, 0)).toBeNull();
    expect(percentOf(5, null)).toBeNull();
  });
});
