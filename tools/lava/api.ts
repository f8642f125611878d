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
  metadata?: string;
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
  const cases = await paged<{ id: number; name: string; result: string; suite: number; metadata?: string }>(server, `/jobs/${id}/tests/`);
  return cases
    .sort((a, b) => a.id - b.id)
    .map((c) => ({ id: c.id, name: c.name, result: c.result, suite: suites.get(c.suite) ?? String(c.suite), metadata: c.metadata }));
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

/** A YAML flow scalar as LAVA's logger writes it ('...' with '' escapes, "..." with backslash escapes, or plain). */
function yamlScalar(s: string): string {
  if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.startsWith('"') && s.endsWith('"')) {
    try {
      return JSON.parse(s.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\e/g, '\\u001b')) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

/** What the device printed (the log's "target" entries), as one console text. */
export function targetConsole(log: string): string {
  const lines: string[] = [];
  for (const line of log.split('\n')) {
    const m = /^- \{dt: [^,]+, lvl: target, msg: (.*)\}$/.exec(line);
    if (m) lines.push(yamlScalar(m[1]!));
  }
  return lines.join('\n');
}

/** Why LAVA ended a job Incomplete/Canceled: its failure comment, else the errors it logged. */
export function failureReason(job: LavaJob, log: string): string {
  if (job.failure_comment) return job.failure_comment;
  const errors = log
    .split('\n')
    .map((l) => /^- \{dt: [^,]+, lvl: error, msg: (.*)\}$/.exec(l)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(yamlScalar);
  return errors.length ? errors.slice(-3).join('; ') : `job ended ${job.health}`;
}
