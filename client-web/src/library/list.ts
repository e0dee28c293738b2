// The library: the recordings the credential opens, newest first, with who took part, the
// equipment that was marked and how many marks, filtered by room, date and equipment.
import type { RecordingList, RecordingListing } from '../generated/protocol';
import { byId } from '../dom';
import type { MessageArea } from '../ui/messages';
import { formatMediaTime } from '../replay/format';
import { ApiError, type RecordingsApi } from './api';

export interface LibraryFilter {
  room: string;
  equipment: string;
  /** `yyyy-mm-dd` in the person's time zone, or ''. */
  from: string;
  to: string;
}

/** The list's query for `filter` (a `to` day is included whole). */
export function listQuery(filter: LibraryFilter): string {
  const q = new URLSearchParams();
  if (filter.room.trim()) q.set('room', filter.room.trim());
  if (filter.equipment.trim()) q.set('equipment', filter.equipment.trim());
  const day = (d: string, plusDays: number) => {
    const t = new Date(`${d}T00:00:00`);
    t.setDate(t.getDate() + plusDays);
    return String(t.getTime());
  };
  if (filter.from) q.set('from', day(filter.from, 0));
  if (filter.to) q.set('to', day(filter.to, 1));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(r: RecordingListing): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.recording = r.recording_id;
  const open = document.createElement('a');
  open.href = `/recordings/${encodeURIComponent(r.recording_id)}`;
  open.textContent = new Date(r.started_at_ms).toLocaleString();
  const when = document.createElement('td');
  when.append(open);
  const duration = r.duration_ms === null ? (r.stopped_at_ms === null ? 'recording…' : '—') : formatMediaTime(r.duration_ms, false);
  tr.append(
    cell(r.room),
    when,
    cell(duration),
    cell(r.participants.map((p) => `${p.name} (${p.role})`).join(', ')),
    cell(r.marked_equipment.map((e) => (e.name !== null && e.name !== e.id ? `${e.name} (${e.id})` : e.id)).join(', ')),
    cell(String(r.marks_placed), 'marks'),
  );
  return tr;
}

export async function openLibrary(api: RecordingsApi, messages: MessageArea): Promise<void> {
  byId('library', HTMLElement).hidden = false;
  const form = byId('library-filter', HTMLFormElement);
  const body = byId('library-rows', HTMLElement);
  const summary = byId('library-summary', HTMLElement);
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  const load = async () => {
    const filter = { room: field('room'), equipment: field('equipment'), from: field('from'), to: field('to') };
    try {
      const { recordings, total } = await api.json<RecordingList>(`/api/recordings${listQuery(filter)}`);
      body.replaceChildren(...recordings.map(row));
      summary.textContent =
        total === recordings.length ? `${total} recording${total === 1 ? '' : 's'}` : `the newest ${recordings.length} of ${total} recordings`;
    } catch (e) {
      if (e instanceof ApiError) messages.show(e.code, e.message, e.message);
      else throw e;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  await load();
}
