import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseProjectDir, projectArgument } from '../../src-main/shell/project-choice';

describe('project choice', () => {
  it('prefers --project DIR, then --project=DIR', () => {
    expect(projectArgument(['electron', '.', '--project', '/a/b.sightline'])).toBe('/a/b.sightline');
    expect(projectArgument(['electron', '--project=/c.sightline'])).toBe('/c.sightline');
    expect(projectArgument(['electron', '--project'])).toBeUndefined();
  });

  it('falls back to $SIGHTLINE_PROJECT, then the demo in userData', () => {
    const env = { SIGHTLINE_PROJECT: 'rel/p.sightline' };
    expect(chooseProjectDir(['x', '--project', '/arg.sightline'], env, '/ud')).toEqual({
      dir: path.resolve('/arg.sightline'),
      isDemo: false,
    });
    expect(chooseProjectDir(['x'], env, '/ud')).toEqual({ dir: path.resolve('rel/p.sightline'), isDemo: false });
    expect(chooseProjectDir(['x'], { SIGHTLINE_PROJECT: '' }, '/ud')).toEqual({
      dir: path.join('/ud', 'demo.sightline'),
      isDemo: true,
    });
  });

  it("treats the demo's folder as the demo when it is named, as `npm start` does (./demo.sightline)", () => {
    // scripts/start.mjs: spawn(electron, [root, '--project', <root>/demo.sightline]).
    expect(chooseProjectDir(['/usr/bin/electron', '/repo', '--project', '/repo/demo.sightline'], {}, '/ud')).toEqual({
      dir: path.resolve('/repo/demo.sightline'),
      isDemo: true,
    });
    expect(chooseProjectDir(['x'], { SIGHTLINE_PROJECT: 'demo.sightline/' }, '/ud')).toEqual({
      dir: path.resolve('demo.sightline'),
      isDemo: true,
    });
    // Any other folder is the user's: never filled with demo data.
    expect(chooseProjectDir(['x', '--project', '/repo/demo.sightline.bak'], {}, '/ud').isDemo).toBe(false);
    expect(chooseProjectDir(['x', '--project', '/repo/study.sightline'], {}, '/ud').isDemo).toBe(false);
  });
});
