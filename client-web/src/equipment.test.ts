import { describe, expect, it } from 'vitest';
import type { Annotation } from './generated/protocol';
import { NO_EQUIPMENT, anchorLabel, equipmentLabel, equipmentNames } from './equipment';

const pose = { position: [0, 0, 0] as [number, number, number], rotation: [0, 0, 0, 1] as [number, number, number, number] };

function on(equipmentId: string | null): Annotation {
  return {
    id: 'a',
    kind: 'point',
    author: 'p1',
    color: '#ff2d95',
    anchor: equipmentId === null ? { type: 'world', pose } : { type: 'equipment', equipment_id: equipmentId, pose },
    points: [[0, 0, 0]],
    frame_rtp_timestamp: 1,
    surface: 'exact',
    acknowledged_by: null,
  };
}

describe('equipment names', () => {
  it('maps ids to names, and a new list replaces the old one', () => {
    const first = equipmentNames([
      { id: 'panel-1', name: 'Control panel CP-3' },
      { id: 'pump-1', name: 'Feed pump P-101' },
    ]);
    expect(equipmentLabel(first, 'panel-1')).toBe('Control panel CP-3');
    expect(equipmentLabel(first, 'pump-1')).toBe('Feed pump P-101');

    const second = equipmentNames([{ id: 'panel-1', name: 'Panel (renamed)' }]);
    expect(equipmentLabel(second, 'panel-1')).toBe('Panel (renamed)');
    expect(equipmentLabel(second, 'pump-1')).toBe('pump-1'); // Gone from the new list.
    expect(equipmentLabel(first, 'panel-1')).toBe('Control panel CP-3'); // The old map is unchanged.
  });

  it('falls back to the id for unknown ids and blank names; the last of duplicates wins', () => {
    expect(equipmentLabel(NO_EQUIPMENT, 'panel-1')).toBe('panel-1');
    const names = equipmentNames([
      { id: 'blank', name: '   ' },
      { id: 'twice', name: 'First' },
      { id: 'twice', name: ' Second ' },
    ]);
    expect(equipmentLabel(names, 'blank')).toBe('blank');
    expect(equipmentLabel(names, 'twice')).toBe('Second');
    expect(equipmentNames([])).toEqual(NO_EQUIPMENT);
  });

  it('labels an anchor with the name and the id, the id alone, or "world"', () => {
    const names = equipmentNames([{ id: 'panel-1', name: 'Control panel CP-3' }]);
    expect(anchorLabel(on('panel-1'), names)).toEqual({ text: 'Control panel CP-3', id: 'panel-1' });
    expect(anchorLabel(on('panel-1'), NO_EQUIPMENT)).toEqual({ text: 'panel-1', id: null });
    expect(anchorLabel(on('valve-9'), names)).toEqual({ text: 'valve-9', id: null });
    expect(anchorLabel(on(null), names)).toEqual({ text: 'world', id: null });
  });
});
