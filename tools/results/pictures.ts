// Pictures that target checks print for the run's report (ktap_image() in
// test/target/lib/ktap.c), as diagnostics of the case that drew them:
//
//   protm-image <id> <w>x<h> rgba8 <parts> <title>
//   protm-image <id> <k>/<parts> <base64 of the next bytes of RGBA pixels>
//
// They leave the case's diagnostics (some 60 lines of base64 each) and
// become PNG files beside results.json. A picture that arrived incomplete or
// malformed (a console that lost lines, a check that died halfway) is not
// drawn: the case keeps a diagnostic saying what was wrong, and its status,
// which is the check's, does not change.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

export interface Picture {
  id: string;
  title: string;
  width: number;
  height: number;
  /** The PNG file, relative to the results directory. */
  file: string;
}

/** A picture decoded from a case's diagnostics. */
export interface DecodedPicture {
  id: string;
  title: string;
  width: number;
  height: number;
  rgba: Buffer;
}

const PREFIX = 'protm-image ';

/** Whether a diagnostic line belongs to a picture. */
export function isPictureLine(line: string): boolean {
  return line.startsWith(PREFIX);
}
/** Larger than any check draws; keeps a corrupt header from asking for gigabytes. */
const MAX_SIDE = 4096;
const HEADER = /^(\S+) (\d+)x(\d+) rgba8 (\d+) (.*)$/;
const PART = /^(\S+) (\d+)\/(\d+) ([A-Za-z0-9+/]*={0,2})$/;

interface Pending {
  id: string;
  title: string;
  width: number;
  height: number;
  parts: number;
  chunks: Buffer[];
  problem?: string;
}

/**
 * Splits a case's diagnostics into its other lines, the pictures they held,
 * and a line for each picture that could not be decoded.
 */
export function decodePictures(diagnostics: string[]): { diagnostics: string[]; pictures: DecodedPicture[] } {
  const other: string[] = [];
  const pending = new Map<string, Pending>();
  const done: Pending[] = [];
  for (const line of diagnostics) {
    if (!isPictureLine(line)) {
      other.push(line);
      continue;
    }
    const body = line.slice(PREFIX.length);
    const part = PART.exec(body);
    if (part) {
      const [, id, k, n, data] = part as unknown as [string, string, string, string, string];
      const p = pending.get(id);
      if (!p) {
        other.push(`picture ${id}: a part without its header`);
        continue;
      }
      if (p.problem) continue;
      if (Number(n) !== p.parts || Number(k) !== p.chunks.length + 1) {
        p.problem = `part ${k}/${n} where part ${p.chunks.length + 1}/${p.parts} was due (lost lines?)`;
        continue;
      }
      p.chunks.push(Buffer.from(data, 'base64'));
      if (p.chunks.length === p.parts) {
        pending.delete(id);
        done.push(p);
      }
      continue;
    }
    const header = HEADER.exec(body);
    if (!header) {
      other.push(`picture: not a picture line: ${line.slice(0, 80)}`);
      continue;
    }
    const [, id, w, h, parts, title] = header as unknown as [string, string, string, string, string, string];
    const stale = pending.get(id);
    if (stale) done.push({ ...stale, problem: stale.problem ?? `${stale.chunks.length} of ${stale.parts} parts, then drawn again` });
    const width = Number(w);
    const height = Number(h);
    const problem =
      width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE ? `size ${width}x${height} is outside 1x1 to ${MAX_SIDE}x${MAX_SIDE}` : undefined;
    pending.set(id, { id, title, width, height, parts: Number(parts), chunks: [], ...(problem ? { problem } : {}) });
  }
  for (const p of pending.values()) done.push({ ...p, problem: p.problem ?? `${p.chunks.length} of ${p.parts} parts arrived` });

  const pictures: DecodedPicture[] = [];
  for (const p of done) {
    const rgba = Buffer.concat(p.chunks);
    const want = p.width * p.height * 4;
    const problem = p.problem ?? (rgba.length !== want ? `${rgba.length} bytes of pixels where ${p.width}x${p.height} needs ${want}` : undefined);
    if (problem) other.push(`picture ${p.id} not shown: ${problem}`);
    else pictures.push({ id: p.id, title: p.title, width: p.width, height: p.height, rgba });
  }
  return { diagnostics: other, pictures };
}

/** PNG bytes of an RGBA8 picture. */
export function encodePng(p: DecodedPicture): Buffer {
  const png = new PNG({ width: p.width, height: p.height });
  p.rgba.copy(png.data);
  return PNG.sync.write(png);
}

/**
 * Writes each picture as `pictures/<n>-<id>.png` under `dir` (n numbers the
 * pictures of the whole run, so equal ids of different cases do not clash).
 */
export function savePictures(dir: string, index: number, pictures: DecodedPicture[]): Picture[] {
  return pictures.map((p, i) => {
    const file = join('pictures', `${String(index + i).padStart(2, '0')}-${p.id.replace(/[^\w.-]/g, '_')}.png`);
    mkdirSync(join(dir, 'pictures'), { recursive: true });
    writeFileSync(join(dir, file), encodePng(p));
    return { id: p.id, title: p.title, width: p.width, height: p.height, file };
  });
}
