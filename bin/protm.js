#!/usr/bin/env node
// Thin launcher: registers tsx's loader in this very process and runs the
// TypeScript CLI, so `npx protm` works from a checkout without a compile step.
// One process, not a launcher with a child: a signal sent to protm (kill,
// Ctrl-C) reaches the CLI itself, which stops its steps before exiting.
import { register } from 'tsx/esm/api';

register();
await import('../tools/protm.ts');
