/**
 * Progress of long commands, with an estimate of the time left: a cli-progress bar on a
 * terminal, a plain line per step (at most one every few seconds) when stderr is a file or a
 * pipe, nothing with `--quiet`. Errors do not go through here: they stay one line.
 */
import cliProgress from 'cli-progress';

let quiet = false;

/**
 * Silences progress and informational lines for the rest of the process (`--quiet`).
 * @example
 * ```ts
 * setQuiet(argv.includes('--quiet'));
 * ```
 */
export function setQuiet(q: boolean): void {
  quiet = q;
}

/**
 * Whether `--quiet` was given.
 * @example
 * ```ts
 * if (!isQuiet()) console.error('hello');
 * ```
 */
export function isQuiet(): boolean {
  return quiet;
}

/**
 * A progress display over `total` units of work.
 * @example
 * ```ts
 * const p: Progress = startProgress('attribute', 100);
 * p.tick(10, 'block 1/10');
 * p.stop();
 * ```
 */
export interface Progress {
  /** `units` more are done; `label` says what comes next. */
  tick(units?: number, label?: string): void;
  /** Ends the display (the bar is cleared from a terminal's line). */
  stop(): void;
}

/** Seconds as `1 h 02 min`, `3 min 05 s` or `12 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/**
 * Starts a progress display for `total` units under `name`. The estimate is the elapsed time
 * per unit so far times the units left.
 * @example
 * ```ts
 * const p = startProgress('evaluate', methods.length * inputs);
 * for (const m of methods) { run(m); p.tick(inputs, m); }
 * p.stop();
 * ```
 */
export function startProgress(name: string, total: number, stream: NodeJS.WriteStream = process.stderr, minIntervalMs = 3000): Progress {
  if (quiet || total <= 0) return { tick: () => {}, stop: () => {} };
  const t0 = performance.now();
  let done = 0;
  const eta = (): string => (done === 0 ? '?' : formatDuration((((performance.now() - t0) / 1000) * (total - done)) / done));
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { format: `${name} {bar} {value}/{total} | {label} | about {left} left`, stream, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { label: 'starting', left: '?' });
    return {
      tick: (units = 1, label = '') => {
        done = Math.min(total, done + units);
        bar.update(done, { label, left: eta() });
      },
      stop: () => bar.stop(),
    };
  }
  let last = -Infinity;
  return {
    tick: (units = 1, label = '') => {
      done = Math.min(total, done + units);
      const now = performance.now();
      if (done < total && now - last < minIntervalMs) return;
      last = now;
      stream.write(`${name}: ${done}/${total}${label ? ` (${label})` : ''}, ${formatDuration((now - t0) / 1000)} so far${done < total ? `, about ${eta()} left` : ''}\n`);
    },
    stop: () => {},
  };
}
