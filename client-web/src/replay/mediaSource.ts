// Plays a recorded fragmented MP4 in a media element through Media Source Extensions: the
// file streams in and is appended as it comes, so playback starts before it has all arrived.

export const VIDEO_TYPE = 'video/mp4; codecs="avc3.42E01F"';
export const VOICE_TYPE = 'audio/mp4; codecs="opus"';

/** Bytes gathered before an append: fewer, larger appends parse faster. */
const APPEND_BYTES = 512 * 1024;

export interface Loaded {
  bytes: number;
  /** False when the browser's buffer was full before the end (the rest does not play). */
  complete: boolean;
}

function once(target: EventTarget, event: string): Promise<void> {
  return new Promise((resolve) => target.addEventListener(event, () => resolve(), { once: true }));
}

/** Makes `change` (an append or a removal) to `buffer` and waits until the browser did it. */
export function settled(buffer: SourceBuffer, change: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ok = () => {
      cleanup();
      resolve();
    };
    const failed = () => {
      cleanup();
      reject(new Error('the browser could not read the recorded media'));
    };
    const cleanup = () => {
      buffer.removeEventListener('updateend', ok);
      buffer.removeEventListener('error', failed);
    };
    buffer.addEventListener('updateend', ok);
    buffer.addEventListener('error', failed);
    try {
      change();
    } catch (e) {
      cleanup();
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

function append(buffer: SourceBuffer, data: Uint8Array<ArrayBuffer>): Promise<void> {
  return settled(buffer, () => buffer.appendBuffer(data));
}

/** A MediaSource of `type` attached to `element`, open, with its one SourceBuffer. */
export async function openSource(element: HTMLMediaElement, type: string): Promise<{ source: MediaSource; buffer: SourceBuffer }> {
  if (typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(type)) {
    throw new Error(`this browser cannot play ${type} (Media Source Extensions)`);
  }
  const source = new MediaSource();
  element.src = URL.createObjectURL(source);
  await once(source, 'sourceopen');
  URL.revokeObjectURL(element.src);
  return { source, buffer: source.addSourceBuffer(type) };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Attaches a MediaSource of `type` to `element` and appends `body` to it as it streams in.
 * Resolves once all of it is appended (or the browser's buffer is full); rejects when the
 * browser cannot play the type or the bytes.
 */
export async function streamInto(element: HTMLMediaElement, type: string, body: ReadableStream<Uint8Array>): Promise<Loaded> {
  const { source, buffer } = await openSource(element, type);
  const reader = body.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await append(buffer, data);
    bytes += data.length;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value) {
        pending.push(value);
        pendingBytes += value.length;
      }
      if (pendingBytes >= APPEND_BYTES || (done && pendingBytes > 0)) await flush();
      if (done) break;
    }
  } catch (e) {
    if (e instanceof DOMException && e.name === 'QuotaExceededError') {
      await reader.cancel();
      source.endOfStream();
      return { bytes, complete: false };
    }
    throw e;
  }
  source.endOfStream();
  return { bytes, complete: true };
}
