// Progress for long steps. On a terminal: one live line redrawn in place
// (log-update). Otherwise (CI, pipes): a line every 30 s so logs show life
// without flooding. Progress goes to stderr; stdout stays for results/--json.
import { createLogUpdate } from 'log-update';

const PERIODIC_SECONDS = 30;

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface Ticker {
  update(lastLine: string): void;
  stop(ok: boolean): void;
}

class Progress {
  quiet = false;

  start(stage: string): Ticker {
    const started = Date.now();
    let last = '';
    const interactive = process.stderr.isTTY && !this.quiet;
    const render = createLogUpdate(process.stderr);
    const draw = () => {
      const width = (process.stderr.columns ?? 100) - stage.length - 14;
      render(`▸ ${stage} ${formatElapsed(Date.now() - started)}  ${last.slice(0, Math.max(10, width))}`);
    };
    let nextReport = PERIODIC_SECONDS;
    const timer = setInterval(
      () => {
        if (interactive) return draw();
        const elapsed = (Date.now() - started) / 1000;
        if (!this.quiet && elapsed >= nextReport) {
          nextReport += PERIODIC_SECONDS;
          process.stderr.write(`… ${stage} ${formatElapsed(Date.now() - started)}: ${last.slice(0, 120)}\n`);
        }
      },
      interactive ? 250 : 1000,
    );
    if (!this.quiet) process.stderr.write(interactive ? '' : `▸ ${stage}\n`);
    return {
      update: (line) => {
        last = line;
      },
      stop: (ok) => {
        clearInterval(timer);
        if (interactive) render.clear();
        if (!this.quiet) process.stderr.write(`${ok ? '✓' : '✗'} ${stage} (${formatElapsed(Date.now() - started)})\n`);
      },
    };
  }

  note(message: string): void {
    if (!this.quiet) process.stderr.write(`${message}\n`);
  }
}

export const progress = new Progress();
