import { describe, expect, it } from 'vitest';
import { updateParticipant } from './participants';
import { SILENCE_DBFS, rmsDbfs } from './voice';

describe('voice levels', () => {
  it('measures RMS in dBFS', () => {
    expect(rmsDbfs(new Float32Array(128))).toBe(SILENCE_DBFS);
    expect(rmsDbfs(new Float32Array(0))).toBe(SILENCE_DBFS);
    const full = Float32Array.from({ length: 128 }, (_, i) => (i % 2 ? 1 : -1));
    expect(rmsDbfs(full)).toBeCloseTo(0, 5);
    expect(rmsDbfs(full.map((s) => s / 2))).toBeCloseTo(-6.02, 1);
  });
});

describe('participants', () => {
  it('a mute change keeps the participant in place', () => {
    const list = [
      { id: 'p-1', role: 'technician' as const, name: 'Tom', muted: false, away: false },
      { id: 'p-2', role: 'expert' as const, name: 'Ana', muted: false, away: false },
      { id: 'p-3', role: 'observer' as const, name: 'Olga', muted: false, away: false },
    ];
    const updated = updateParticipant(list, { id: 'p-2', role: 'expert', name: 'Ana', muted: true, away: false });
    expect(updated.map((p) => [p.id, p.muted])).toEqual([
      ['p-1', false],
      ['p-2', true],
      ['p-3', false],
    ]);
  });
});
