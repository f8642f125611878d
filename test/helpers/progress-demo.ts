// One step of about a second through protm's progress display, for
// progress.test.ts to run on a pseudo-terminal.
import { progress } from '../../tools/lib/progress.js';

const step = progress.start('demo step');
step.update('compiling part one');
await new Promise((resolve) => setTimeout(resolve, 700));
step.stop(true);
