// Pictures from the target checks to the report: ktap_image() (C, the
// target's KTAP library, compiled here for the host) prints a picture as
// diagnostics; publishing the results turns it into a PNG file, a
// results.json entry and a figure of report.html. A picture that lost a line
// on the way is reported, never drawn wrong.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { parseKtap } from '../../tools/results/ktap.js';
import { decodePictures } from '../../tools/results/pictures.js';
import { type Case, flattenCases, publishResults } from '../../tools/results/report.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-pictures-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const W = 37;
const H = 21;
/** The pixel the C driver below draws at (x, y), as RGBA bytes. */
const pixel = (x: number, y: number) => [(x * 7) & 255, (y * 11) & 255, (x ^ y) & 255, (x + y) & 255];

// One case drawing a picture whose size is no multiple of a line's bytes, and
// whose title needs escaping in HTML.
const DRIVER = `
#include <stdlib.h>
#include "ktap.h"
int main(void)
{
	unsigned char *p = malloc(${W} * ${H} * 4);
	for (int y = 0; y < ${H}; y++)
		for (int x = 0; x < ${W}; x++) {
			unsigned char *q = p + 4 * (y * ${W} + x);
			q[0] = x * 7; q[1] = y * 11; q[2] = x ^ y; q[3] = x + y;
		}
	ktap_suite_begin("pictures", 1);
	ktap_diag("before the picture");
	ktap_image("test-card", "a <test> card & more", ${W}, ${H}, p);
	ktap_diag("after the picture");
	ktap_case(KTAP_PASS, "draws", NULL);
	return ktap_suite_end();
}
`;

function ktapFromC(): string {
  const driver = join(scratch, 'driver.c');
  const exe = join(scratch, 'driver');
  writeFileSync(driver, DRIVER);
  const lib = join(repoRoot, 'test/target/lib');
  execFileSync('cc', ['-std=gnu11', '-Wall', '-Werror', `-I${lib}`, '-o', exe, driver, join(lib, 'ktap.c')]);
  return execFileSync(exe, { encoding: 'utf8' });
}

describe('pictures', () => {
  it("turns ktap_image()'s lines into a PNG of the same pixels, in results.json and report.html", () => {
    const ktap = ktapFromC();
    const cases = flattenCases(parseKtap(ktap));
    expect(cases[0]!.diagnostics.filter((d) => d.startsWith('protm-image ')).length).toBe(1 + Math.ceil((W * H * 4) / 288));
    const dir = join(scratch, 'run');
    const published = publishResults(dir, cases, { name: 'protm.pictures', about: [['linux', '7.2.13-1 <pinned>']] });

    const doc = JSON.parse(readFileSync(published.results, 'utf8')) as { cases: Case[] };
    expect(doc.cases[0]).toMatchObject({
      name: 'draws',
      status: 'pass',
      diagnostics: ['before the picture', 'after the picture'],
      pictures: [{ id: 'test-card', title: 'a <test> card & more', width: W, height: H, file: 'pictures/00-test-card.png' }],
    });
    const png = PNG.sync.read(readFileSync(join(dir, 'pictures/00-test-card.png')));
    expect([png.width, png.height]).toEqual([W, H]);
    for (const [x, y] of [
      [0, 0],
      [W - 1, 0],
      [5, 9],
      [W - 1, H - 1],
    ] as const) {
      const at = 4 * (y * W + x);
      expect([...png.data.subarray(at, at + 4)], `pixel ${x},${y}`).toEqual(pixel(x, y));
    }

    const html = readFileSync(published.report, 'utf8');
    expect(html).toContain(`<img src="pictures/00-test-card.png" width="${W * 4}" height="${H * 4}"`);
    expect(html).toContain('a &lt;test&gt; card &amp; more');
    expect(html).not.toContain('<test>');
    expect(html).toContain('<tr><th>linux</th><td>7.2.13-1 &lt;pinned&gt;</td></tr>');
  });

  it('reports a picture that lost a line or has the wrong size instead of drawing it, and keeps the rest', () => {
    const lines = flattenCases(parseKtap(ktapFromC()))[0]!.diagnostics;
    const parts = lines.filter((d) => /^protm-image test-card \d+\//.test(d));

    const lost = decodePictures(lines.filter((d) => d !== parts[3]));
    expect(lost.pictures).toEqual([]);
    expect(lost.diagnostics).toEqual([
      'before the picture',
      'after the picture',
      `picture test-card not shown: part 5/${parts.length} where part 4/${parts.length} was due (lost lines?)`,
    ]);

    const cut = decodePictures(lines.filter((d) => d !== parts[parts.length - 1]));
    expect(cut.diagnostics).toContain(`picture test-card not shown: ${parts.length - 1} of ${parts.length} parts arrived`);

    const wrongSize = decodePictures(lines.map((d) => d.replace(`test-card ${W}x${H} `, `test-card ${W}x${H + 1} `)));
    expect(wrongSize.pictures).toEqual([]);
    expect(wrongSize.diagnostics).toContain(`picture test-card not shown: ${W * H * 4} bytes of pixels where ${W}x${H + 1} needs ${W * (H + 1) * 4}`);

    const huge = decodePictures(['protm-image big 100000x100000 rgba8 1 too big']);
    expect(huge.diagnostics).toEqual(['picture big not shown: size 100000x100000 is outside 1x1 to 4096x4096']);
  });

  it('writes no picture and no pictures directory for a run without any', () => {
    const dir = join(scratch, 'plain');
    const published = publishResults(dir, [{ suite: ['s'], name: 'c', status: 'pass', diagnostics: ['x'] }]);
    expect(existsSync(join(dir, 'pictures'))).toBe(false);
    expect(readFileSync(published.report, 'utf8')).not.toContain('<h2>Pictures</h2>');
  });
});
