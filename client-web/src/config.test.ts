import { describe, expect, it } from 'vitest';
import { parseConfig, signalingUrl, startConfig } from './config';

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

describe('the invite token in the address', () => {
  const none = () => null;

  it('is taken out of the address, keeping the other parameters', () => {
    expect(startConfig('?room=line2&token=abc.def.ghi&name=Ana%20B', none)).toEqual({
      config: { room: 'line2', token: 'abc.def.ghi', name: 'Ana B' },
      cleanSearch: '?room=line2&name=Ana+B',
    });
    expect(startConfig('?token=abc', none)).toEqual({
      config: { room: 'demo', token: 'abc', name: 'Expert' },
      cleanSearch: '',
    });
    // An empty token is taken out too; there is nothing to keep.
    expect(startConfig('?room=a&token=', none).cleanSearch).toBe('?room=a');
  });

  it('comes from what the tab kept for the room when the address has none (a reload)', () => {
    const kept = (room: string) => (room === 'line2' ? 'kept.token' : null);
    expect(startConfig('?room=line2&name=Ana', kept)).toEqual({
      config: { room: 'line2', token: 'kept.token', name: 'Ana' },
      cleanSearch: null,
    });
    expect(startConfig('?room=line3', kept).config.token).toBe('');
    // A new invite in the address wins over the kept one.
    expect(startConfig('?room=line2&token=new.token', kept).config.token).toBe('new.token');
  });
});
