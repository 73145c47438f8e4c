// `npm run lint` is part of the bar: ESLint and Prettier must pass on the whole tree.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  try {
    return {
      ok: true,
      output: execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }),
    };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('lint', () => {
  it('eslint: no errors or warnings in apps, libs, test, scripts', () => {
    const r = run(bin('eslint'), ['--max-warnings', '0', '.']);
    expect(r.ok ? '' : r.output).toBe('');
  }, 180_000);

  it('prettier: every file formatted', () => {
    const r = run(bin('prettier'), ['--check', '--log-level', 'warn', '.']);
    expect(r.ok ? '' : r.output).toBe('');
  }, 120_000);
});
