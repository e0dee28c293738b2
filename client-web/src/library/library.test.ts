import { describe, expect, it } from 'vitest';
import { listQuery } from './list';
import { recordingInPath } from './token';

describe('the library', () => {
  it('asks for what the filter says, a "to" day included whole', () => {
    expect(listQuery({ room: '', equipment: '', from: '', to: '' })).toBe('');
    const q = new URLSearchParams(listQuery({ room: ' demo ', equipment: 'pump-1', from: '2026-11-30', to: '2026-11-30' }));
    expect(q.get('room')).toBe('demo');
    expect(q.get('equipment')).toBe('pump-1');
    expect(Number(q.get('to')) - Number(q.get('from'))).toBe(24 * 3600 * 1000);
    expect(new Date(Number(q.get('from'))).getDate()).toBe(30);
  });

  it('opens the player for a recording named in the path', () => {
    expect(recordingInPath('/recordings')).toBeNull();
    expect(recordingInPath('/recordings/')).toBeNull();
    expect(recordingInPath('/recordings/r-00112233aabbccdd')).toBe('r-00112233aabbccdd');
    expect(recordingInPath('/recordings/r-1/files')).toBeNull();
  });
});
