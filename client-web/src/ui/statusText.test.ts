import { describe, expect, it } from 'vitest';
import { describeStatus, type ConnectionFacts } from './statusText';
import { messageText } from './errorText';

const base: ConnectionFacts = {
  socket: 'open',
  close: null,
  joinError: null,
  joined: true,
  reconnectAt: null,
  role: 'expert',
  room: 'demo',
  name: 'Ana',
  peer: 'connected',
  lastFrameAt: 9_900,
  lastMatchedAt: 9_900,
  joinedAt: 1_000,
  frozen: false,
  now: 10_000,
};

describe('status line', () => {
  it('goes connecting → joined → video live', () => {
    expect(describeStatus({ ...base, socket: 'connecting', joined: false }).state).toBe('connecting');
    expect(describeStatus({ ...base, lastFrameAt: null, lastMatchedAt: null, now: 2_000 }).state).toBe('joined');
    expect(describeStatus(base)).toEqual({ state: 'live', text: 'Room “demo” as Ana — video live' });
  });

  it('says clearly when there is no video, it stalled, or it lacks camera data', () => {
    expect(describeStatus({ ...base, lastFrameAt: null, lastMatchedAt: null }).text).toMatch(/no video yet/);
    expect(describeStatus({ ...base, now: 20_000 }).text).toMatch(/stalled/);
    expect(describeStatus({ ...base, lastMatchedAt: null }).text).toMatch(/no camera data/);
  });

  it('says the view is frozen instead of stalled while the expert holds a frame', () => {
    const frozen = describeStatus({ ...base, frozen: true, now: 20_000 });
    expect(frozen.state).toBe('frozen');
    expect(frozen.text).toMatch(/frozen.*live video paused/);
    expect(describeStatus({ ...base, frozen: true, peer: 'failed' }).state).toBe('warning');
  });

  it('reports a closed socket, a failed join and a failed peer connection', () => {
    const closed = describeStatus({ ...base, socket: 'closed', close: { code: 1006, reason: '', wasOpen: true } });
    expect(closed.state).toBe('disconnected');
    expect(closed.text).toMatch(/Disconnected.*1006/);
    const refused = describeStatus({ ...base, joined: false, joinError: 'no such room' });
    expect(refused.text).toMatch(/Could not join.*no such room/);
    expect(describeStatus({ ...base, peer: 'failed' }).text).toMatch(/video connection failed/);
  });

  it('says when it reconnects after a lost connection, and in how long', () => {
    const lost = { ...base, socket: 'closed' as const, joined: false, close: { code: 1006, reason: '', wasOpen: true } };
    const waiting = describeStatus({ ...lost, reconnectAt: base.now + 1500 });
    expect(waiting.state).toBe('connecting');
    expect(waiting.text).toMatch(/reconnecting in 2 s/);
    expect(describeStatus({ ...lost, reconnectAt: base.now }).text).toMatch(/reconnecting…/);
  });
});

describe('error messages', () => {
  it('has a specific human text per code', () => {
    expect(messageText('no_surface')).toBe('There is no surface under that point — nothing was placed.');
    expect(messageText('frame_gone')).toMatch(/too old/);
    expect(messageText('invite_revoked', 'this invite was revoked: ask for a new one')).toMatch(/revoked.*new invite link/);
    expect(messageText('brand_new_code', 'it broke')).toBe('Error (brand_new_code): it broke');
  });
});
