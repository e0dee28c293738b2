// How the player writes media times.

/** `m:ss.mmm` (or `h:mm:ss.mmm`) for a media time in ms; `withMs: false` drops the milliseconds. */
export function formatMediaTime(ms: number, withMs = true): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor(total / 60_000) % 60;
  const s = Math.floor(total / 1000) % 60;
  const rest = withMs ? `.${String(total % 1000).padStart(3, '0')}` : '';
  const mm = h > 0 ? `${h}:${String(m).padStart(2, '0')}` : String(m);
  return `${mm}:${String(s).padStart(2, '0')}${rest}`;
}

/** The speeds a trainer can choose. */
export const SPEEDS = [0.25, 0.5, 1, 1.5, 2, 4] as const;
