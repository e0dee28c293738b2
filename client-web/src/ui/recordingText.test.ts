import { describe, expect, it } from 'vitest';
import type { Recording } from '../room/state';
import { elapsedText, startedByText } from './recordingText';

function recording(startedBy: string | null, name: string | null): Recording {
  return { status: { recording_id: 'r1', started_by: startedBy, started_at_ms: 0 }, startedByName: name };
}

describe('recording indicator text', () => {
  it('counts minutes and seconds, then hours', () => {
    expect(elapsedText(0)).toBe('0:00');
    expect(elapsedText(65_400)).toBe('1:05');
    expect(elapsedText(3_599_999)).toBe('59:59');
    expect(elapsedText(3_723_000)).toBe('1:02:03');
    expect(elapsedText(-5_000)).toBe('0:00');
  });

  it('names who started it', () => {
    expect(startedByText(recording('p1', 'Ana'), 'p2')).toBe('by Ana');
    expect(startedByText(recording('p1', 'Ana'), 'p1')).toBe('by Ana (you)');
    expect(startedByText(recording(null, null), 'p1')).toBe('by the server');
    expect(startedByText(recording('p9', null), 'p1')).toBe('by someone who left');
  });
});
