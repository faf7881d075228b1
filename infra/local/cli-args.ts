/** Argument parsers shared by the `harbinger` commands (commander option coercions). */
import { InvalidArgumentError } from 'commander';

/**
 * Parses a whole number of at least `min` (default 0), naming the option in the error.
 * @throws InvalidArgumentError for anything else
 */
export function wholeNumber(name: string, min = 0): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number${min > 0 ? ` >= ${min}` : ''}, got "${v}"`);
    return n;
  };
}
