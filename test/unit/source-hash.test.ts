// The cache key of a source directory (tools/lib/hash.ts): the Mesa checks'
// key hashed only the top directory's files, so an edit of a helper in
// test/target/mesa/lib/ reused the old programs and a run reported green on
// code it never built. Every file under the directory counts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Dir } from '../../tools/lib/hash.js';

const dir = mkdtempSync(join(tmpdir(), 'protm-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a source directory hash', () => {
  it('changes with a file in a subdirectory, with its place, and only for files that are kept', () => {
    mkdirSync(join(dir, 'lib', 'vulkan'), { recursive: true });
    writeFileSync(join(dir, 'check.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(dir, 'lib', 'shader.h'), '#define X 1\n');
    writeFileSync(join(dir, 'lib', 'vulkan', 'pipeline.c'), '/* v1 */\n');
    const first = sha256Dir(dir);

    writeFileSync(join(dir, 'lib', 'shader.h'), '#define X 2\n');
    const edited = sha256Dir(dir);
    expect(edited).not.toBe(first);
    writeFileSync(join(dir, 'lib', 'vulkan', 'pipeline.c'), '/* v2 */\n');
    expect(sha256Dir(dir)).not.toBe(edited);

    // The same content under another path is another tree.
    const before = sha256Dir(dir);
    rmSync(join(dir, 'lib', 'shader.h'));
    writeFileSync(join(dir, 'lib', 'vulkan', 'shader.h'), '#define X 2\n');
    expect(sha256Dir(dir)).not.toBe(before);

    // A filtered-out file does not count.
    const sources = sha256Dir(dir, (f) => f.endsWith('.c'));
    writeFileSync(join(dir, 'lib', 'notes.txt'), 'anything\n');
    expect(sha256Dir(dir, (f) => f.endsWith('.c'))).toBe(sources);
  });
});
