import { describe, expect, it } from 'vitest';
import { acceptPending, addPending, expirePending, settlePending, type PendingMark } from './pending';

function mark(clientRef: number, sentAt = 0): PendingMark {
  return { clientRef, kind: 'point', points: [[0.5, 0.5]], color: '#ff2d95', frameRtp: 9, sentAt, annotationId: null };
}

describe('pending marks', () => {
  it('is settled by client_ref (errors) or by annotation id once accepted (added)', () => {
    let list = addPending(addPending([], mark(1)), mark(2));
    list = acceptPending(list, 2, 'ann-2');
    expect(list[1]?.annotationId).toBe('ann-2');
    expect(settlePending(list, { clientRef: 1 }).map((m) => m.clientRef)).toEqual([2]);
    expect(settlePending(list, { annotationId: 'ann-2' }).map((m) => m.clientRef)).toEqual([1]);
    expect(settlePending(list, { clientRef: null, annotationId: null })).toBe(list);
  });

  it('expires marks nobody answered', () => {
    const list = [mark(1, 100), mark(2, 5000)];
    expect(expirePending(list, 1000).map((m) => m.clientRef)).toEqual([2]);
    expect(expirePending(list, 50)).toBe(list);
  });
});
