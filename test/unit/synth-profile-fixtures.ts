/**
 * A realistic fixture for the profile-based generator: a few hours of the hand-written services
 * (generateEvents, one region) learned through the real offline path (learnHistory: parse,
 * templates, windows, ordered patterns) and built into profiles with the real buildProfile, then
 * stored and read back through the zod schema (validateProfile), as the scorer would.
 */
import { learnHistory, profileFromLearned, type LearnedPartition } from '../../functions/core/offline';
import { DEFAULT_PARTITION_RULES } from '../../functions/core/partition';
import { validateProfile } from '../../functions/core/profile';
import { DEFAULT_SERVICES, generateEvents, withOverrides } from '../../functions/core/synth';
import type { LogEvent, Profile } from '../../functions/core/types';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
/** Monday 2024-05-06 08:00 UTC (eu-west-1 has UTC offset 0 in the synthetic services). */
export const START = Date.UTC(2024, 4, 6, 8);
export const RULES = DEFAULT_PARTITION_RULES;

export interface HistoryFixture {
  events: LogEvent[];
  learned: Map<string, LearnedPartition>;
  /** Profiles after a JSON + zod round trip (the stored form). */
  profiles: Map<string, Profile>;
}

/**
 * History of `services` in eu-west-1 over `[START, START + hours)`, at scale 1.
 * @param services - names among checkout, payments, gateway, auth
 */
export function historyFixture(services: string[], hours: number, seed = 7): HistoryFixture {
  const specs = DEFAULT_SERVICES.filter((s) => services.includes(s.name)).map((s) => withOverrides(s, { regions: ['eu-west-1'] }));
  const events = [...generateEvents({ services: specs, start: START, end: START + hours * HOUR, seed, scale: 1 })];
  const learned = learnHistory(() => events, { rules: RULES, defaultRegion: 'eu-west-1' });
  const profiles = new Map<string, Profile>();
  for (const l of learned.values()) profiles.set(l.partition, validateProfile(JSON.parse(JSON.stringify(profileFromLearned(l, START + hours * HOUR)))));
  return { events, learned, profiles };
}
