import { describe, expect, it } from 'vitest';
import type { SurfaceQuality } from './generated/protocol';
import { surfaceLabel } from './surface';

describe('surfaceLabel', () => {
  it('tells a guessed position from measured ones', () => {
    const all: SurfaceQuality[] = ['exact', 'mesh', 'plane', 'estimate'];
    const measured = all.filter((s) => surfaceLabel(s).measured);
    expect(measured).toEqual(['exact', 'mesh', 'plane']);
    expect(surfaceLabel('estimate').title).toMatch(/nothing measured/i);
  });

  it('names each quality as the protocol does, with its own explanation', () => {
    const all: SurfaceQuality[] = ['exact', 'mesh', 'plane', 'estimate'];
    expect(all.map((s) => surfaceLabel(s).text)).toEqual(all);
    expect(new Set(all.map((s) => surfaceLabel(s).title)).size).toBe(all.length);
  });
});
