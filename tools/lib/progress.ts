// Progress for long steps, which may run side by side (the main job builds
// QEMU while it builds the kernel). On a terminal with a size: one live line
// per running step, redrawn in place (log-update), with finished steps and
// notes printed above them. Otherwise (CI, pipes, an unsized terminal): a
// line per step every 30 s so logs show life without flooding. Progress
// goes to stderr; stdout stays for results/--json.
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

interface Running {
  stage: string;
  started: number;
  last: string;
  /** Periodic lines printed so far (not on a terminal). */
  reports: number;
}

class Progress {
  quiet = false;
  private readonly running = new Set<Running>();
  private readonly live = createLogUpdate(process.stderr);
  private timer: NodeJS.Timeout | undefined;

  /**
   * A terminal with a size. A terminal that reports 0 columns (a pseudo-
   * terminal nobody sized, as under `script` without a terminal) would get
   * every live line wrapped away, so it gets the periodic lines instead.
   */
  private interactive(): boolean {
    return process.stderr.isTTY === true && process.stderr.columns > 0 && !this.quiet;
  }

  private draw(): void {
    if (this.running.size === 0) {
      this.live.clear();
      return;
    }
    const columns = process.stderr.columns;
    const lines = [...this.running].map((r) => {
      const head = `▸ ${r.stage} ${formatElapsed(Date.now() - r.started)}  `;
      return head + r.last.slice(0, Math.max(10, columns - head.length - 1));
    });
    this.live(lines.join('\n'));
  }

  /** Print a line above the live ones (which are redrawn after it). */
  private print(line: string): void {
    if (this.quiet) return;
    if (!this.interactive()) {
      process.stderr.write(`${line}\n`);
      return;
    }
    this.live.clear();
    process.stderr.write(`${line}\n`);
    this.draw();
  }

  private tick(): void {
    if (this.interactive()) {
      this.draw();
      return;
    }
    for (const r of this.running) {
      const elapsed = (Date.now() - r.started) / 1000;
      if (!this.quiet && elapsed >= (r.reports + 1) * PERIODIC_SECONDS) {
        r.reports += 1;
        process.stderr.write(`… ${r.stage} ${formatElapsed(Date.now() - r.started)}: ${r.last.slice(0, 120)}\n`);
      }
    }
  }

  start(stage: string): Ticker {
    const r: Running = { stage, started: Date.now(), last: '', reports: 0 };
    if (!this.interactive()) this.print(`▸ ${stage}`);
    this.running.add(r);
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.interactive() ? 250 : 1000);
    return {
      update: (line) => {
        r.last = line;
      },
      stop: (ok) => {
        if (!this.running.delete(r)) return;
        if (this.running.size === 0) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
        this.print(`${ok ? '✓' : '✗'} ${stage} (${formatElapsed(Date.now() - r.started)})`);
      },
    };
  }

  note(message: string): void {
    this.print(message);
  }
}

export const progress = new Progress();
