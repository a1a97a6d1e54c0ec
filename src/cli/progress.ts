/** Human progress on stderr: a redrawn bar on a TTY, plain lines otherwise. stdout stays clean for --json. */
export interface Progress {
  step(label: string, done: number, total: number): void;
  note(message: string): void;
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let lastLine = '';
  let lastPrinted = 0;
  return {
    step(label, done, total) {
      const fraction = total === 0 ? 1 : done / total;
      if (tty) {
        const width = 24;
        const filled = Math.round(fraction * width);
        lastLine = `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
        stream.write(lastLine);
      } else if (done === total || Date.now() - lastPrinted > 2000) {
        stream.write(`${label} ${done}/${total}\n`);
        lastPrinted = Date.now();
      }
    },
    note(message) {
      if (tty && lastLine) stream.write('\n');
      lastLine = '';
      stream.write(`${message}\n`);
    },
    done() {
      if (tty && lastLine) stream.write('\n');
      lastLine = '';
    },
  };
}
