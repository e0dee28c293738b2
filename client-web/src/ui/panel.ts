// The side panel: participants and annotations (with pending marks and delete buttons).
import type { Annotation, AnnotationId, Participant, ParticipantId } from '../generated/protocol';
import { anchorLabel, type EquipmentNames } from '../equipment';
import type { PendingMark } from '../pending';
import { surfaceLabel } from '../surface';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function separator(): HTMLElement {
  const e = el('span', 'sep', '·');
  e.setAttribute('aria-hidden', 'true');
  return e;
}

export function renderParticipants(
  list: HTMLElement,
  participants: readonly Participant[],
  self: ParticipantId | null,
): void {
  list.replaceChildren(
    ...participants.map((p) => {
      const li = el('li', `participant role-${p.role}`);
      li.dataset.participantId = p.id;
      const name = el('span', 'participant-name', p.name);
      if (p.id === self) name.append(el('span', 'you', ' (you)'));
      if (p.muted) name.append(el('span', 'muted', 'muted'));
      if (p.away) {
        const away = el('span', 'away', 'away');
        away.title = 'Connected, but the headset is off their head';
        name.append(away);
      }
      li.append(name, el('span', 'badge', p.role), el('code', 'participant-id', p.id));
      return li;
    }),
  );
  if (participants.length === 0) list.append(el('li', 'empty', 'Nobody here yet.'));
}

export interface AnnotationActions {
  select(id: AnnotationId): void;
  remove(id: AnnotationId): void;
}

export function renderAnnotations(
  list: HTMLElement,
  annotations: readonly Annotation[],
  pending: readonly PendingMark[],
  selected: AnnotationId | null,
  equipment: EquipmentNames,
  actions: AnnotationActions,
): void {
  const rows = annotations.map((a) => {
    const label = anchorLabel(a, equipment);
    const li = el('li', a.id === selected ? 'annotation selected' : 'annotation');
    li.dataset.annotationId = a.id;
    li.tabIndex = 0;
    const swatch = el('span', 'swatch');
    swatch.style.background = a.color;
    const del = el('button', 'delete', '×');
    del.type = 'button';
    del.title = 'Delete (Del)';
    del.setAttribute('aria-label', `Delete ${a.kind} on ${label.text}`);
    del.dataset.action = 'delete';
    del.addEventListener('click', (ev) => {
      ev.stopPropagation();
      actions.remove(a.id);
    });
    li.addEventListener('click', () => actions.select(a.id));
    const anchor = el('span', 'anchor');
    anchor.append(el('span', 'anchor-name', label.text));
    if (label.id !== null) {
      anchor.append(el('code', 'anchor-id', label.id));
      anchor.title = `${label.text} (${label.id})`;
    }
    if (a.acknowledged_by !== null) {
      const seen = el('span', 'acknowledged', '✓ seen');
      seen.title = 'The technician acknowledged it: seen, and being worked on';
      anchor.append(seen);
    }
    const rests = surfaceLabel(a.surface);
    const surface = el('span', `surface surface-${a.surface}`, rests.text);
    surface.title = rests.title;
    li.append(swatch, el('span', 'kind', a.kind), separator(), anchor, surface, del);
    return li;
  });
  const waiting = pending.map((m) => {
    const li = el('li', 'annotation pending');
    li.dataset.clientRef = String(m.clientRef);
    const swatch = el('span', 'swatch');
    swatch.style.background = m.color;
    const anchor = el('span', 'anchor');
    anchor.append(el('span', 'anchor-name', 'placing…'));
    li.append(swatch, el('span', 'kind', m.kind), separator(), anchor);
    return li;
  });
  list.replaceChildren(...rows, ...waiting);
  if (rows.length + waiting.length === 0) {
    list.append(el('li', 'empty', 'No annotations. Click the video to place one.'));
  }
}
