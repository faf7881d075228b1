import cliProgress from 'cli-progress';

/** One running progress indicator. */
export interface ProgressBar {
  /** Sets the current value, with an optional short note shown beside it. */
  update(value: number, note?: string): void;
  /** Ends the bar where it stands (a phase may end early, e.g. a sample). */
  stop(): void;
}

/** How the demo reports progress: a line printer, and bars for long phases. */
export interface ProgressUi {
  print: (line: string) => void;
  bar: (label: string, total: number, unit: string) => ProgressBar;
}

/**
 * Progress for a terminal: real bars (cli-progress) when stdout is a TTY, with lines printed above
 * the active bar; otherwise plain lines (a line per 10% of a phase), so CI logs stay readable.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stdout): ProgressUi {
  if (!stream.isTTY) return plainProgress((l) => stream.write(l + '\n'));
  let multi: cliProgress.MultiBar | undefined;
  return {
    print: (line) => (multi ? multi.log(line + '\n') : stream.write(line + '\n')),
    bar: (label, total, unit) => {
      multi = new cliProgress.MultiBar(
        {
          format: `  ${label.padEnd(10)} [{bar}] {percentage}% | {value}/{total} ${unit} {note}`,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          synchronousUpdate: true,
          stream,
        },
        cliProgress.Presets.shades_classic,
      );
      const b = multi.create(total, 0, { note: '' });
      return {
        update: (value, note) => b.update(value, { note: note ?? '' }),
        stop: () => {
          multi?.stop();
          multi = undefined;
        },
      };
    },
  };
}

/** Progress as plain lines: one line per tenth of each phase. */
export function plainProgress(print: (line: string) => void): ProgressUi {
  return {
    print,
    bar: (label, total, unit) => {
      let shown = 0;
      return {
        update: (value, note) => {
          const tenth = Math.floor((value / Math.max(1, total)) * 10);
          if (tenth > shown) {
            shown = tenth;
            print(`  ${label} ${value}/${total} ${unit}${note ? ` ${note}` : ''}`);
          }
        },
        stop: () => {},
      };
    },
  };
}

/** No output at all (tests, --json). */
export const silentProgress: ProgressUi = { print: () => {}, bar: () => ({ update: () => {}, stop: () => {} }) };
