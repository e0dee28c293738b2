import { describe, expect, it } from 'vitest';
import { arrowTool } from './arrow';
import { pointTool } from './point';

describe('tools', () => {
  it('point: a click sends the position pressed; a drag sends nothing', () => {
    const down = { client: [100, 100] as const, norm: [0.25, 0.5] as [number, number] };
    expect(pointTool.finish(down, { client: [102, 101], norm: [0.26, 0.5] })).toEqual({ send: [[0.25, 0.5]] });
    expect(pointTool.finish(down, { client: [160, 100], norm: [0.4, 0.5] })).toEqual({ skip: null });
  });

  it('arrow: a drag sends tail then head; a click explains how to draw one', () => {
    const down = { client: [100, 100] as const, norm: [0.1, 0.2] as [number, number] };
    expect(arrowTool.finish(down, { client: [200, 150], norm: [0.3, 0.4] })).toEqual({
      send: [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
    });
    expect(arrowTool.finish(down, { client: [103, 100], norm: [0.1, 0.2] })).toEqual({ skip: 'bad_gesture' });
  });
});
