// `venuecode demo --serve` for the browser tests: served on a free port, with the logins it
// prints, and codes made by the CLI against the demo's keys at the service's clock.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.join(here, '../..');
export const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
export const cli = path.join(targetDir, 'debug/venuecode');
export const PREFIX = 'HTTPS://VC.SH.GOV.CN/1/';

// The demo, served on a free port: its address, its clock, and the logins it prints.
export async function demo(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'venuecode-service-'));
  const child = spawn(cli, ['demo', '--out', dir, '--serve', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGTERM'));
  const lines = createInterface({ input: child.stdout });
  const found = { child };
  const started = Date.now();
  for await (const line of lines) {
    const address = line.match(/^listening on (http:\/\/[0-9.:]+)\//);
    if (address) found.base = address[1];
    const clock = line.match(/clock starts at (\S+) CST/);
    if (clock) found.clock = Date.parse(clock[1]);
    const manager = line.match(/manager of (\S+): log in with (vct_[0-9a-f]+)/);
    if (manager) [found.venue, found.manager] = [manager[1], manager[2]];
    const district = line.match(/district (\d+):\s+log in with (vct_[0-9a-f]+)/);
    if (district) found.district = district[2];
    const holder = line.match(/holder (\S+) \((\w+)\): log in with (vct_[0-9a-f]+)/);
    if (holder) (found.holders ??= {})[holder[2]] = { name: holder[1], token: holder[3] };
    const visitor = line.match(/visitor at (\S+) (\S+) \(扫码\): open (http:\/\/\S+)/);
    if (visitor) (found.posters ??= {})[visitor[2]] = visitor[3];
    const authority = line.match(/authority \(trace.*token (vct_[0-9a-f]+)/);
    if (authority) {
      found.authority = authority[1];
      break;
    }
  }
  found.started = started;
  found.dir = dir;
  return found;
}

export const run = (args) => execFileSync(cli, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();

// The service's clock now, as RFC 3339 UTC.
export function serviceNow(d) {
  return new Date(d.clock + (Date.now() - d.started)).toISOString().replace(/\.\d+Z$/, 'Z');
}

// The demo venue's poster for `door`, signed with the demo's venue key.
export function venueCode(d, door, venue = d.venue) {
  return run(['venue', 'issue', '--prefix', PREFIX, '--key', path.join(d.dir, 'venue.pem'), '--id', venue,
    '--type', 'religious-venue', '--name', '上海玉佛禅寺', '--division', '310107', '--address', '安远路170号',
    '--door', door, '--issued', '2022-04-01T08:00:00+08:00']);
}

// A personal code of `profile` issued now by the service's clock (dynamic: of `colour`).
export function personalCode(d, { profile = 'dynamic', colour = 'green', name, id, validSeconds = 240 }) {
  const args = ['person', 'issue', '--prefix', PREFIX, '--key', path.join(d.dir, 'personal.pem'),
    '--token-key', path.join(d.dir, 'holder.key'), '--profile', profile, '--name', name, '--id-number', id,
    '--issued', serviceNow(d)];
  if (profile === 'dynamic') args.push('--colour', colour, '--valid-seconds', String(validSeconds));
  return run(args);
}

// Every record of the venue as its manager reads them (the data interface, page by page).
export async function records(d) {
  const all = [];
  let after = '';
  for (;;) {
    const r = await fetch(`${d.base}/v1/venues/${d.venue}/records?limit=1000${after}`, {
      headers: { authorization: `Bearer ${d.manager}` },
    });
    assert.equal(r.status, 200);
    const page = await r.json();
    all.push(...page.records);
    if (page.records.length < 1000) return all;
    after = `&after=${page.next}`;
  }
}
