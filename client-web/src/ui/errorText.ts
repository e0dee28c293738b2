// Human messages for the server's error codes and the page's own notices.
import type { ErrorCode } from '../generated/protocol';

/** Codes the page raises itself (never sent by the server). */
export type LocalCode =
  | 'no_frame'
  | 'not_connected'
  | 'server_closing'
  | 'bad_gesture'
  | 'technician_invite'
  | 'no_microphone'
  | 'sound_blocked'
  | 'video_failed'
  | 'overlay_failed'
  | 'unsupported'
  | 'bad_message'
  | 'recording_stopped';

export type MessageCode = ErrorCode | LocalCode;

const SERVER_TEXT: Record<ErrorCode, string> = {
  malformed_message: 'The server could not read a message from this page. Reload the page; if it keeps happening, report it.',
  message_too_large: 'That request was too large for the server — nothing was sent.',
  invalid_value: 'The server rejected a value in that request (a point outside the frame, a bad colour or a bad name).',
  unknown_room: 'That room does not exist. Check the room name in the address.',
  not_joined: 'The page has not joined the room yet — wait until the status says joined.',
  already_joined: 'This connection has already joined a room.',
  forbidden: 'Your role is not allowed to do that.',
  technician_present: 'A technician is already in this room.',
  no_technician: 'No technician is in the room — there is no headset to place the mark.',
  headset_timeout: 'The headset did not answer in time — nothing was placed. Try again.',
  no_surface: 'There is no surface under that point — nothing was placed.',
  frame_gone: 'That frame is too old for the headset to place the mark — try again on the live view.',
  unknown_annotation: 'That annotation no longer exists — someone may have deleted it already.',
  sdp_rejected: 'The server rejected the video connection. Reload the page to try again.',
  limit_reached: 'The room has reached a limit of the server (for example, too many marks). Delete some and try again.',
  invalid_token: 'This link has no valid invite (it is incomplete or was altered). Ask the session organiser for a new invite link.',
  token_expired: 'This invite has expired. Ask the session organiser for a new invite link.',
  wrong_room: 'This invite is for another room. Open the link exactly as you received it.',
  invite_revoked: 'This invite was revoked by the session organiser. Ask them for a new invite link.',
  unknown_invite: 'The server does not know that invite: it was never issued here, has expired or was already revoked.',
  unknown_recording: 'That recording does not exist: it was never made on this server, or it was deleted.',
  already_recording: 'The room is already recording.',
  not_recording: 'The room is not recording.',
  recording_failed: 'The recording could not be written (the server may be out of disk space); the live session goes on.',
  unauthorized: 'The server refused the request: it needs the admin key.',
  internal: 'The server hit an internal error. Try again; if it keeps happening, check the server log.',
};

const LOCAL_TEXT: Record<LocalCode, string> = {
  no_frame: 'No video frame with camera data is displayed yet — wait for the live view before marking.',
  not_connected: 'Not connected to the server — nothing was sent.',
  server_closing: 'The server is shutting down (maintenance or restart). Reload the page once it is back.',
  bad_gesture: 'Drag from the tail to the head to draw an arrow.',
  technician_invite: 'This invite is for the headset (technician), not for a browser. Ask for an expert or observer invite.',
  no_microphone: 'No microphone (none found, or access was refused): you can listen but not talk. Allow the microphone and reload to talk.',
  sound_blocked: 'The browser held back the sound until you interact: click anywhere on the page to hear the room.',
  video_failed: 'The video connection failed.',
  overlay_failed: 'The annotation overlay is unavailable in this browser.',
  unsupported: 'This browser cannot match video frames to camera poses (no requestVideoFrameCallback); annotations will not be drawn.',
  bad_message: 'The server sent a message this page does not understand.',
  recording_stopped: 'The server stopped the recording.',
};

const SERVER_CODES = new Set<string>(Object.keys(SERVER_TEXT));

export function isErrorCode(code: string): code is ErrorCode {
  return SERVER_CODES.has(code);
}

/** The human text for `code`; unknown codes fall back to the server's own message. */
export function messageText(code: string, serverMessage?: string): string {
  if (isErrorCode(code)) return SERVER_TEXT[code];
  if (code in LOCAL_TEXT) return LOCAL_TEXT[code as LocalCode];
  return serverMessage ? `Error (${code}): ${serverMessage}` : `Error (${code}).`;
}
