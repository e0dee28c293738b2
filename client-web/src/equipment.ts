// The names of the room's equipment (as its headset reported them), and the labels that use
// them (pure functions).
import type { Annotation, EquipmentId, EquipmentInfo } from './generated/protocol';

/** Equipment id → human name. */
export type EquipmentNames = ReadonlyMap<EquipmentId, string>;

export const NO_EQUIPMENT: EquipmentNames = new Map();

/**
 * The names a snapshot's or an `equipment_updated` message's items describe (they replace
 * whatever the page had). Blank names are left out, so those ids fall back to themselves; for
 * an id listed twice, the last entry wins.
 */
export function equipmentNames(items: readonly EquipmentInfo[]): EquipmentNames {
  const names = new Map<EquipmentId, string>();
  for (const { id, name } of items) {
    const trimmed = name.trim();
    if (trimmed) names.set(id, trimmed);
    else names.delete(id);
  }
  return names;
}

/** The equipment's name, or its id when no name is known. */
export function equipmentLabel(names: EquipmentNames, id: EquipmentId): string {
  return names.get(id) ?? id;
}

export interface AnchorLabel {
  /** What to show first: the equipment's name, its id when it has no name, or "world". */
  text: string;
  /** The equipment id as a secondary label, set only when `text` is a name. */
  id: EquipmentId | null;
}

/** A short label for lists: the equipment the annotation is anchored to, or "world". */
export function anchorLabel(annotation: Annotation, names: EquipmentNames): AnchorLabel {
  if (annotation.anchor.type !== 'equipment') return { text: 'world', id: null };
  const id = annotation.anchor.equipment_id;
  const name = names.get(id);
  return name === undefined ? { text: id, id: null } : { text: name, id };
}
