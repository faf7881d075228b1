/** Validation of the dashboard API's inputs: what is refused, and that the message says what to send. */
import { describe, expect, it } from 'vitest';
import { DashboardRequestError, parseLimit, parsePartition, parseRange, parseSensitivityBody } from '../../infra/local/dashboard/requests';

const refused = (fn: () => unknown): DashboardRequestError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DashboardRequestError);
    return err as DashboardRequestError;
  }
  throw new Error('not refused');
};

describe('parsePartition', () => {
  it('accepts service#region and service#region#segment', () => {
    expect(parsePartition('checkout#us-east-1')).toBe('checkout#us-east-1');
    expect(parsePartition('api#eu-west-1#blue')).toBe('api#eu-west-1#blue');
  });
  it('refuses missing and malformed keys with a 400', () => {
    expect(refused(() => parsePartition(undefined)).message).toMatch(/partition is required/);
    expect(refused(() => parsePartition('checkout')).status).toBe(400);
    expect(refused(() => parsePartition('a#b#c#d')).message).toMatch(/service#region/);
    expect(refused(() => parsePartition('a b#c')).status).toBe(400);
  });
});

describe('parseRange', () => {
  it('defaults to 60 minutes and reads epoch ms or ISO', () => {
    expect(parseRange(new URLSearchParams())).toEqual({ from: undefined, to: undefined, minutes: 60 });
    const r = parseRange(new URLSearchParams({ from: '2026-11-16T15:00:00Z', to: String(Date.UTC(2026, 10, 16, 15, 30)) }));
    expect(r).toEqual({ from: Date.UTC(2026, 10, 16, 15), to: Date.UTC(2026, 10, 16, 15, 30), minutes: 30 });
  });
  it('refuses unreadable, backwards and over-long ranges', () => {
    expect(refused(() => parseRange(new URLSearchParams({ from: 'yesterday' }))).message).toMatch(/from must be epoch milliseconds or an ISO time/);
    expect(refused(() => parseRange(new URLSearchParams({ minutes: '0' }))).message).toMatch(/1\.\.1440/);
    expect(refused(() => parseRange(new URLSearchParams({ minutes: '2.5' }))).status).toBe(400);
    expect(refused(() => parseRange(new URLSearchParams({ from: '2000', to: '1000' }))).message).toMatch(/before/);
    expect(refused(() => parseRange(new URLSearchParams({ from: '0', to: String(2 * 86_400_000) }))).message).toMatch(/more than 1440 minutes/);
  });
});

describe('parseSensitivityBody', () => {
  it('accepts a partition and a probability level', () => {
    expect(parseSensitivityBody('{"partition":"checkout#us-east-1","level":0.99}')).toEqual({ partition: 'checkout#us-east-1', level: 0.99 });
    expect(parseSensitivityBody('{"partition":"checkout#us-east-1","level":0.5}').level).toBe(0.5);
    expect(parseSensitivityBody('{"partition":"checkout#us-east-1","level":0.9999}').level).toBe(0.9999);
  });
  it('refuses out-of-range and non-numeric levels, and bodies that are not JSON objects', () => {
    expect(refused(() => parseSensitivityBody('{"partition":"a#b","level":1}')).message).toMatch(/out of range: use a probability in \[0\.5, 0\.9999\]/);
    expect(refused(() => parseSensitivityBody('{"partition":"a#b","level":0.49}')).status).toBe(400);
    expect(refused(() => parseSensitivityBody('{"partition":"a#b","level":"0.9"}')).message).toMatch(/level must be a number/);
    expect(refused(() => parseSensitivityBody('{"partition":"a#b"}')).message).toMatch(/level must be a number/);
    expect(refused(() => parseSensitivityBody('{"partition":"a#b","level":null}')).status).toBe(400);
    expect(refused(() => parseSensitivityBody('nope')).message).toMatch(/must be JSON/);
    expect(refused(() => parseSensitivityBody('null')).message).toMatch(/JSON object/);
    expect(refused(() => parseSensitivityBody('{"level":0.9}')).message).toMatch(/partition is required/);
  });
});

describe('parseLimit', () => {
  it('defaults when absent and accepts whole numbers in range', () => {
    expect(parseLimit(null, 20, 200)).toBe(20);
    expect(parseLimit('', 20, 200)).toBe(20);
    expect(parseLimit('200', 20, 200)).toBe(200);
  });
  it('refuses anything else with a 400', () => {
    for (const v of ['0', '201', '1.5', 'ten', '-3']) expect(refused(() => parseLimit(v, 20, 200)).message).toMatch(/limit must be a whole number in 1\.\.200/);
  });
});
