#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so `npx protm` works
// from a checkout without a compile step.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'protm.ts');
const result = spawnSync(process.execPath, [tsxCli, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
