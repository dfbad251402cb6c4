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
    expect(chooseProjectDir(['x', '--project', '/arg.sightline'], env, '/ud')).toEqual({ dir: path.resolve('/arg.sightline'), isDemo: false });
    expect(chooseProjectDir(['x'], env, '/ud')).toEqual({ dir: path.resolve('rel/p.sightline'), isDemo: false });
    expect(chooseProjectDir(['x'], { SIGHTLINE_PROJECT: '' }, '/ud')).toEqual({ dir: path.join('/ud', 'demo.sightline'), isDemo: true });
  });
});
