// The Node versions package.json promises (`engines.node`) are true of every installed package:
// no package in package-lock.json declares an engines.node range that leaves out a version we
// promise. The only exceptions are the Nest CLI's code generators, written down in README.md
// ("Two commands"): build-time devDependencies with no release for Node 20.
import fs from 'node:fs';
import path from 'node:path';

interface Semver {
  validRange(range: string): string | null;
  subset(sub: string, dom: string): boolean;
  satisfies(version: string, range: string): boolean;
  intersects(a: string, b: string): boolean;
}
// semver is in node_modules already (bullmq, jest and typescript-eslint depend on it).
const semver = require('semver') as Semver;

const ROOT = path.resolve(__dirname, '../..');
const json = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

/**
 * Every @nestjs/cli 12 release pins these exactly, and every @nestjs/schematics 12 release needs
 * Node 22.12+. Only `nest generate` / `nest new` use them; `nest build` (the only command the
 * project runs) works on Node 20.19+, which the build in every test run checks.
 */
const BUILD_TOOL_EXCEPTIONS = [
  '@angular-devkit/core',
  '@angular-devkit/schematics',
  '@angular-devkit/schematics-cli',
  '@nestjs/schematics',
];

interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string };
}

const pkg = json('package.json') as { engines: { node: string } };
const lock = json('package-lock.json') as { packages: Record<string, LockEntry> };
const promised = pkg.engines.node;

/** Installed packages (name, version, engines.node) that leave out a promised Node version. */
function excluding(): { name: string; version: string; node: string; dev: boolean }[] {
  const out = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    const node = entry.engines?.node;
    if (!where || node === undefined) continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (semver.validRange(node) === null || !semver.subset(promised, node))
      out.push({ name, version: entry.version ?? '?', node, dev: entry.dev === true });
  }
  return out;
}

describe('Node versions: what package.json promises, every package supports', () => {
  it('the promise is a valid range, includes Node 20.19 and the Node running the tests, and the lock file records it', () => {
    expect(semver.validRange(promised)).not.toBeNull();
    expect(semver.satisfies('20.19.0', promised)).toBe(true);
    expect(semver.satisfies(process.version, promised)).toBe(true);
    expect(lock.packages[''].engines?.node).toBe(promised);
  });

  it('no package in package-lock.json declares an engines.node range that excludes a promised version (but the listed build tools)', () => {
    const offenders = excluding().filter((p) => !BUILD_TOOL_EXCEPTIONS.includes(p.name));
    expect(offenders).toEqual([]);
  });

  it('the build-tool exceptions are devDependencies only, and each one is still needed (else drop it from the list and the README)', () => {
    const excepted = excluding().filter((p) => BUILD_TOOL_EXCEPTIONS.includes(p.name));
    expect(excepted.filter((p) => !p.dev)).toEqual([]);
    expect([...new Set(excepted.map((p) => p.name))].sort()).toEqual(
      [...BUILD_TOOL_EXCEPTIONS].sort(),
    );
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const name of BUILD_TOOL_EXCEPTIONS) expect(readme).toContain(name);
  });

  it('the Docker images run a Node the promise covers', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
    expect(majors.length).toBeGreaterThan(0);
    // node:<major> is the newest release of that line, which the promise must include.
    for (const major of majors)
      expect([major, semver.intersects(`${major}.x`, promised)]).toEqual([major, true]);
  });
});
