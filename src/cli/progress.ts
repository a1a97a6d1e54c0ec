/**
 * Human progress on stderr: a redrawn bar on a TTY, plain lines otherwise. stdout stays clean
 * for --json. Long work never goes quiet: when nothing new has come for `heartbeatMs` (default
 * 10 s) — one train step of a large model, one batch of decoding — the current step is shown
 * again with the seconds it has been running, so a user (or a log) can tell work from a hang.
 */
export interface Progress {
  step(label: string, done: number, total: number): void;
  note(message: string): void;
  done(): void;
}

export interface ProgressOptions {
  readonly heartbeatMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

export function stderrProgress(
  stream: NodeJS.WriteStream = process.stderr,
  options: ProgressOptions = {},
): Progress {
  const tty = stream.isTTY === true;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const now = options.now ?? Date.now;
  let lastLine = '';
  let lastPrinted = 0;
  let current: {
    label: string;
    done: number;
    total: number;
    since: number;
    printed: boolean;
  } | null = null;
  let timer: NodeJS.Timeout | null = null;

  const bar = (label: string, done: number, total: number, suffix: string): string => {
    const fraction = total === 0 ? 1 : done / total;
    const width = 24;
    const filled = Math.round(fraction * width);
    return `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${suffix}`;
  };
  const beat = (): void => {
    if (current === null || now() - lastPrinted < heartbeatMs) return;
    const seconds = Math.round((now() - current.since) / 1000);
    // A step held back by the 2 s throttle is shown as it is; one already shown, with its time.
    const suffix = current.printed ? ` (working, ${seconds} s on this)` : '';
    current.printed = true;
    if (tty) {
      lastLine = bar(current.label, current.done, current.total, suffix);
      stream.write(lastLine);
    } else stream.write(`${current.label} ${current.done}/${current.total}${suffix}\n`);
    lastPrinted = now();
  };
  const startBeating = (): void => {
    if (timer !== null) return;
    timer = setInterval(beat, Math.max(1, Math.floor(heartbeatMs / 4)));
    timer.unref(); // never keeps the process alive
  };

  return {
    step(label, done, total) {
      if (current === null || current.label !== label || current.done !== done)
        current = { label, done, total, since: now(), printed: false };
      startBeating();
      if (tty) {
        lastLine = bar(label, done, total, '');
        stream.write(lastLine);
        lastPrinted = now();
        current.printed = true;
      } else if (done === total || now() - lastPrinted > 2000) {
        stream.write(`${label} ${done}/${total}\n`);
        lastPrinted = now();
        current.printed = true;
      }
    },
    note(message) {
      if (tty && lastLine) stream.write('\n');
      lastLine = '';
      stream.write(`${message}\n`);
      lastPrinted = now();
    },
    done() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      current = null;
      if (tty && lastLine) stream.write('\n');
      lastLine = '';
    },
  };
}
