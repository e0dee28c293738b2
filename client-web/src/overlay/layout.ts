// Where a video with `object-fit: contain` (centred) is drawn inside its element, and the
// mapping between pointer positions and normalised frame coordinates (0..1, origin top-left).

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The rectangle the frame occupies inside an element of `elementWidth`×`elementHeight`, in the
 * element's coordinates, or null while either size is unknown.
 */
export function containRect(
  elementWidth: number,
  elementHeight: number,
  videoWidth: number,
  videoHeight: number,
): Rect | null {
  if (!(elementWidth > 0 && elementHeight > 0 && videoWidth > 0 && videoHeight > 0)) return null;
  const scale = Math.min(elementWidth / videoWidth, elementHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { x: (elementWidth - width) / 2, y: (elementHeight - height) / 2, width, height };
}

/** Moves `rect` by the element's own position (e.g. its bounding client rect). */
export function offsetRect(rect: Rect, dx: number, dy: number): Rect {
  return { x: rect.x + dx, y: rect.y + dy, width: rect.width, height: rect.height };
}

/** Normalised frame coordinates of a point, or null when it lies outside the frame. */
export function toNormalized(rect: Rect, x: number, y: number): [number, number] | null {
  const u = (x - rect.x) / rect.width;
  const v = (y - rect.y) / rect.height;
  if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return null;
  return [u, v];
}

/** Like `toNormalized`, but a point outside the frame is moved onto its nearest edge. */
export function toNormalizedClamped(rect: Rect, x: number, y: number): [number, number] {
  const clamp = (t: number) => Math.min(1, Math.max(0, t));
  return [clamp((x - rect.x) / rect.width), clamp((y - rect.y) / rect.height)];
}

/** The point (in `rect`'s coordinates) at normalised frame coordinates `[u, v]`. */
export function fromNormalized(rect: Rect, uv: readonly [number, number]): [number, number] {
  return [rect.x + uv[0] * rect.width, rect.y + uv[1] * rect.height];
}
