// The recordings' REST API (`/api/recordings…`), called with the trainer's invite token (or
// the admin key) as a bearer credential. Every failure is an `ApiError` with the server's
// code and sentence, or a sentence of the page's own when the server could not be reached.
import type { Bookmark, JournalEvent, RecordingInfo } from '../generated/protocol';
import type { MediaIndex } from '../replay/bufferWindow';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** What of a media file plays (a crash cuts its last fragment; damage ends it early). */
export interface MediaStatus {
  playable_bytes: number;
  /** The file's fragments, to fetch a window of them (absent when the file is damaged). */
  index?: MediaIndex;
  /** The damage, in a sentence, or null when the file is whole. */
  damage: string | null;
}

export interface RecordingDetail {
  recording: RecordingInfo;
  duration_ms: number | null;
  video: MediaStatus;
  /** The same for each voice, in the order of `recording.voices`. */
  voices: MediaStatus[];
  events: JournalEvent[];
  bookmarks: Bookmark[];
}

export class RecordingsApi {
  constructor(
    private readonly token: string,
    private readonly base = '',
  ) {}

  detail(id: string): Promise<RecordingDetail> {
    return this.json(`/api/recordings/${encodeURIComponent(id)}`);
  }

  addBookmark(id: string, mediaTimeMs: number, note: string): Promise<Bookmark> {
    return this.json(`/api/recordings/${encodeURIComponent(id)}/bookmarks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ media_time_ms: Math.max(0, Math.round(mediaTimeMs)), note }),
    });
  }

  /** A file of the recording (`video.mp4`, `voice-1.mp4`, `frames.ndjson`), its first `bytes` when given. */
  async file(id: string, name: string, bytes?: number): Promise<Response> {
    const headers: Record<string, string> = bytes === undefined ? {} : { range: `bytes=0-${bytes - 1}` };
    return this.raw(`/api/recordings/${encodeURIComponent(id)}/files/${encodeURIComponent(name)}`, { headers });
  }

  /** `bytes` bytes of a file of the recording from `offset`. */
  async range(id: string, name: string, offset: number, bytes: number): Promise<Uint8Array<ArrayBuffer>> {
    const headers = { range: `bytes=${offset}-${offset + bytes - 1}` };
    const response = await this.raw(`/api/recordings/${encodeURIComponent(id)}/files/${encodeURIComponent(name)}`, { headers });
    const data = new Uint8Array(await response.arrayBuffer());
    if (data.length !== bytes) throw new Error(`the server sent ${data.length} bytes of ${name} where ${bytes} were asked for`);
    return data;
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await this.raw(path, init)).json() as Promise<T>;
  }

  /** A successful response of the API at `path` (failures throw an `ApiError`). */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token !== '') headers.set('authorization', `Bearer ${this.token}`);
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch {
      throw new ApiError('unreachable', 'The server could not be reached. Check the connection and reload the page.', 0);
    }
    if (response.ok) return response;
    let code = 'internal';
    let message = `The server answered ${response.status}.`;
    try {
      const body = (await response.json()) as { code?: unknown; message?: unknown };
      if (typeof body.code === 'string') code = body.code;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // Not the API's JSON: the status says enough.
    }
    throw new ApiError(code, message, response.status);
  }
}
