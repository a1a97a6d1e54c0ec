/**
 * Which Node runs the desktop app's worker: the bundled runtime on the unpacked worker bundle
 * when packaged, the system node on out/worker/worker.js otherwise — never Electron itself, and
 * never with NODE_OPTIONS, which the fuses refuse for the app.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagedLaunch } from '../../src/main/worker-host/launch.ts';
import { desktopWorkerLaunch } from '../../src/main/electron/worker-launch.ts';

const resources = join('/opt', 'Nepenthe', 'resources');

describe('packagedLaunch', () => {
  it('runs the unpacked worker bundle with the bundled Node', () => {
    const launch = packagedLaunch(resources, 'linux', { HOME: '/home/a', NODE_OPTIONS: '-r x' });
    expect(launch.execPath).toBe(join(resources, 'node', 'node'));
    expect(launch.entry).toBe(join(resources, 'app.asar.unpacked', 'out', 'worker', 'worker.js'));
    expect(launch.execArgv).toEqual([]);
    expect(launch.env).toEqual({ HOME: '/home/a' });
  });

  it('uses node.exe on Windows', () => {
    expect(packagedLaunch(resources, 'win32', {}).execPath).toBe(
      join(resources, 'node', 'node.exe'),
    );
  });
});

describe('desktopWorkerLaunch', () => {
  const base = { resourcesPath: resources, platform: 'linux' as const, mainDir: '/repo/out/main' };

  it('packaged: the bundled runtime', () => {
    const launch = desktopWorkerLaunch({ ...base, isPackaged: true, env: {} });
    expect(launch.execPath).toBe(join(resources, 'node', 'node'));
  });

  it('unpackaged: the built worker under the system node (or NEPENTHE_NODE), not Electron', () => {
    const env = { PATH: '/usr/bin', ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '--inspect' };
    const launch = desktopWorkerLaunch({ ...base, isPackaged: false, env });
    expect(launch).toEqual({
      entry: join('/repo/out/main', '..', 'worker', 'worker.js'),
      execPath: 'node',
      execArgv: [],
      env: { PATH: '/usr/bin' },
    });
    const custom = desktopWorkerLaunch({
      ...base,
      isPackaged: false,
      env: { NEPENTHE_NODE: '/opt/node22/bin/node' },
    });
    expect(custom.execPath).toBe('/opt/node22/bin/node');
  });
});
