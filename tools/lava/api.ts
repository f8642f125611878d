// LAVA's REST API (v0.2), as far as protm needs it: submit, follow, fetch
// test cases and the job log. Works against any LAVA server given its URL
// and a token; the local instance's come from the state directory.
import { ProtmError } from '../lib/errors.js';

export interface LavaServer {
  url: string;
  token: string;
}

export interface LavaJob {
  id: number;
  state: string;
  health: string;
  failure_comment: string | null;
  description: string;
}

export interface LavaTestCase {
  id: number;
  name: string;
  result: string;
  suite: string;
  /** Free text; protm's monitors put the KTAP indentation here (job.ts). */
  units?: string;
}

async function call(server: LavaServer, path: string, init: { method?: string; body?: unknown; text?: boolean } = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${server.url.replace(/\/$/, '')}/api/v0.2${path}`, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Token ${server.token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new ProtmError(`LAVA at ${server.url} did not answer (${(err as Error).message})`, 'is the server running? `protm lava server status`');
  }
  const body = await res.text();
  if (!res.ok) throw new ProtmError(`LAVA ${init.method ?? 'GET'} ${path}: HTTP ${res.status}: ${body.slice(0, 2000)}`);
  return init.text ? body : JSON.parse(body);
}

/** Submit a job definition; LAVA validates it and answers with its id, or refuses it with its message. */
export async function submitJob(server: LavaServer, definition: string): Promise<number> {
  const r = (await call(server, '/jobs/', { method: 'POST', body: { definition } })) as { job_ids?: number[]; message?: string };
  const id = r.job_ids?.[0];
  if (id === undefined) throw new ProtmError(`LAVA refused the job: ${r.message ?? JSON.stringify(r)}`);
  return id;
}

export async function getJob(server: LavaServer, id: number): Promise<LavaJob> {
  return (await call(server, `/jobs/${id}/`)) as LavaJob;
}

/** LAVA's own verdict on a definition (the /jobs/validate/ endpoint). */
export async function validateRemote(server: LavaServer, definition: string): Promise<string> {
  const r = (await call(server, '/jobs/validate/', { method: 'POST', body: { definition, strict: true } })) as { message: string };
  return r.message;
}

/** Every test case of a job, in the order LAVA recorded them, with its suite's name. */
export async function jobTestCases(server: LavaServer, id: number): Promise<LavaTestCase[]> {
  const suites = new Map<number, string>();
  for (const s of await paged<{ id: number; name: string }>(server, `/jobs/${id}/suites/`)) suites.set(s.id, s.name);
  const cases = await paged<{ id: number; name: string; result: string; suite: number; unit?: string }>(server, `/jobs/${id}/tests/`);
  return cases
    .sort((a, b) => a.id - b.id)
    .map((c) => ({ id: c.id, name: c.name, result: c.result, suite: suites.get(c.suite) ?? String(c.suite), units: c.unit ?? '' }));
}

async function paged<T>(server: LavaServer, path: string): Promise<T[]> {
  const out: T[] = [];
  let offset = 0;
  for (;;) {
    const r = (await call(server, `${path}?limit=500&offset=${offset}`)) as { results: T[]; next: string | null } | T[];
    if (Array.isArray(r)) return r;
    out.push(...r.results);
    if (!r.next || r.results.length === 0) return out;
    offset += r.results.length;
  }
}

/** The job's log as LAVA stores it (YAML, one entry per line). */
export async function jobLog(server: LavaServer, id: number): Promise<string> {
  return (await call(server, `/jobs/${id}/logs/`, { text: true })) as string;
}

interface LogEntry {
  lvl: string;
  msg: unknown;
}

/** A YAML flow scalar as LAVA's logger may write it ('...' with '' escapes, or plain). */
function yamlScalar(s: string): string {
  if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

/**
 * The entries of a job log: one "- {...}" line each. LAVA 2026.10 writes each
 * mapping as JSON (a YAML flow mapping too); older versions wrote YAML's own
 * flow style, read here for "lvl" and "msg" only.
 */
export function logEntries(log: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('- {')) continue;
    const body = line.slice(2);
    if (body.startsWith('{"')) {
      try {
        entries.push(JSON.parse(body) as LogEntry);
        continue;
      } catch {
        // Not JSON after all: try the YAML form.
      }
    }
    const m = /^\{dt: [^,]+, lvl: ([a-z]+), msg: (.*)\}$/.exec(body);
    if (m) entries.push({ lvl: m[1]!, msg: yamlScalar(m[2]!) });
  }
  return entries;
}

/** What the device printed (the log's "target" entries), as one console text. */
export function targetConsole(log: string): string {
  return logEntries(log)
    .filter((e) => e.lvl === 'target' && typeof e.msg === 'string')
    .map((e) => e.msg as string)
    .join('\n');
}

/**
 * Why LAVA ended a job Incomplete/Canceled: its failure comment, else the
 * error its job result carries, else the errors it logged; with the device's
 * last line, which often says more (e.g. QEMU refusing to start).
 */
export function failureReason(job: LavaJob, log: string): string {
  const entries = logEntries(log);
  let reason = job.failure_comment?.trim() || undefined;
  for (const e of entries) {
    const msg = e.msg as { definition?: string; case?: string; error_msg?: string } | null;
    if (!reason && e.lvl === 'results' && msg?.definition === 'lava' && msg.case === 'job' && msg.error_msg) reason = msg.error_msg;
  }
  if (!reason) {
    const errors = entries.filter((e) => e.lvl === 'error' && typeof e.msg === 'string').map((e) => e.msg as string);
    reason = errors.length ? errors.slice(-3).join('; ') : `job ended ${job.health}`;
  }
  const target = entries.filter((e) => e.lvl === 'target' && typeof e.msg === 'string' && (e.msg as string).trim() !== '');
  const last = target[target.length - 1]?.msg as string | undefined;
  return last && !reason.includes(last.trim()) ? `${reason} (last device output: ${last.trim()})` : reason;
}
