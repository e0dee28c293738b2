import { describe, expect, it } from 'vitest';
import { parseConfig, signalingUrl } from './config';

describe('page config', () => {
  it('reads room, role and name with defaults', () => {
    expect(parseConfig('?room=line2&role=observer&name=Ana')).toEqual({
      room: 'line2',
      role: 'observer',
      name: 'Ana',
      badRole: null,
    });
    expect(parseConfig('')).toEqual({ room: 'demo', role: 'expert', name: 'Expert', badRole: null });
    expect(parseConfig('?role=boss&name=')).toEqual({ room: 'demo', role: 'expert', name: 'Expert', badRole: 'boss' });
  });

  it('never joins as technician: the room has one technician slot, the headset', () => {
    // Treated like an unknown role: join as expert and report the parameter.
    expect(parseConfig('?room=line2&role=technician&name=Ana')).toEqual({
      room: 'line2',
      role: 'expert',
      name: 'Ana',
      badRole: 'technician',
    });
    for (const role of ['expert', 'observer', 'trainer']) {
      expect(parseConfig(`?role=${role}`)).toMatchObject({ role, badRole: null });
    }
  });

  it('derives the signaling URL from the page location', () => {
    expect(signalingUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
    expect(signalingUrl({ protocol: 'https:', host: 'spotter.example' })).toBe('wss://spotter.example/ws');
  });
});
