// Arrow: a drag from the tail to the head.
import { distance, type Tool } from './tool';

/** Shorter drags (CSS pixels) are not arrows. */
export const MIN_ARROW_PX = 12;

export const arrowTool: Tool = {
  kind: 'arrow',
  label: 'Arrow',
  key: 'a',
  previewsLine: true,
  finish(down, up) {
    if (distance(down.client, up.client) < MIN_ARROW_PX) return { skip: 'bad_gesture' };
    return { send: [down.norm, up.norm] };
  },
};
