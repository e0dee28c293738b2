import { describe, expect, it } from 'vitest';
import { parseConfig, signalingUrl } from './config';

describe('page config', () => {
  it('reads room, token and name with defaults', () => {
    expect(parseConfig('?room=line2&token=abc.def.ghi&name=Ana')).toEqual({
      room: 'line2',
      token: 'abc.def.ghi',
      name: 'Ana',
    });
    expect(parseConfig('')).toEqual({ room: 'demo', token: '', name: 'Expert' });
    expect(parseConfig('?name=%20&token=')).toEqual({ room: 'demo', token: '', name: 'Expert' });
  });

  it('ignores a role in the address: only the invite says the role', () => {
    expect(parseConfig('?role=technician&token=t')).toEqual({ room: 'demo', token: 't', name: 'Expert' });
  });

  it('derives the signaling URL from the page location', () => {
    expect(signalingUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/ws');
    expect(signalingUrl({ protocol: 'https:', host: 'spotter.example' })).toBe('wss://spotter.example/ws');
  });
});
