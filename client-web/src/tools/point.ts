// Point: a click (down and up at about the same place) marks the spot under the pointer.
import { distance, type Tool } from './tool';

/** Down and up closer than this (CSS pixels) make a click. */
export const CLICK_SLOP_PX = 6;

export const pointTool: Tool = {
  kind: 'point',
  label: 'Point',
  key: 'p',
  previewsLine: false,
  finish(down, up) {
    if (distance(down.client, up.client) > CLICK_SLOP_PX) return { skip: null };
    return { send: [down.norm] };
  },
};
