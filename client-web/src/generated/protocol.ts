// Generated from the Rust crate `spotter-protocol` by its test `ts_bindings`.
// Do not edit: change the Rust types and run `UPDATE_BINDINGS=1 cargo test -p spotter-protocol`.

export type RoomId = string;

export type ParticipantId = string;

export type AnnotationId = string;

export type EquipmentId = string;

export type RecordingId = string;

export type Role = "technician" | "expert" | "observer" | "trainer";

export type ErrorCode = "malformed_message" | "message_too_large" | "invalid_value" | "unknown_room" | "not_joined" | "already_joined" | "forbidden" | "technician_present" | "no_technician" | "headset_timeout" | "no_surface" | "frame_gone" | "unknown_annotation" | "sdp_rejected" | "limit_reached" | "invalid_token" | "token_expired" | "wrong_room" | "invite_revoked" | "unknown_invite" | "unknown_recording" | "already_recording" | "not_recording" | "recording_failed" | "unauthorized" | "internal";

export type Pose = { position: [number, number, number], 
/**
 * Unit quaternion as `[x, y, z, w]`.
 */
rotation: [number, number, number, number], };

export type Intrinsics = { fx: number, fy: number, cx: number, cy: number, width: number, height: number, };

export type FrameMeta = { 
/**
 * The RTP timestamp of the frame's packets (90 kHz clock); the SFU forwards it unchanged,
 * so it identifies the frame end to end (`requestVideoFrameCallback`'s `rtpTimestamp`).
 */
rtp_timestamp: number, 
/**
 * Camera → world pose the frame was rendered (or captured) with.
 */
pose: Pose, intrinsics: Intrinsics, 
/**
 * Capture time, microseconds since the Unix epoch on the headset's clock.
 */
capture_time_us: number, };

export type AnnotationKind = "point" | "arrow";

export type AnnotationRequest = { kind: AnnotationKind, 
/**
 * RTP timestamp of the frame the mark was drawn on.
 */
frame_rtp_timestamp: number, 
/**
 * Normalised image coordinates (`0..1`, origin top-left), as many as the kind needs.
 */
points: Array<[number, number]>, 
/**
 * `#rrggbb`.
 */
color: string, };

export type ResolveRequest = { annotation_id: AnnotationId, author: ParticipantId, request: AnnotationRequest, };

export type Anchor = { "type": "equipment", equipment_id: EquipmentId, pose: Pose, } | { "type": "world", pose: Pose, };

export type SurfaceQuality = "exact" | "mesh" | "plane" | "estimate";

export type Annotation = { id: AnnotationId, kind: AnnotationKind, author: ParticipantId, color: string, anchor: Anchor, 
/**
 * Points in the anchor's frame, metres; for an arrow, tail then head.
 */
points: Array<[number, number, number]>, 
/**
 * The frame it was drawn on.
 */
frame_rtp_timestamp: number, 
/**
 * What its position rests on.
 */
surface: SurfaceQuality, 
/**
 * The technician who acknowledged it (saw it and is on it); set by the server.
 */
acknowledged_by: ParticipantId | null, };

export type EquipmentInfo = { id: EquipmentId, name: string, };

export type Participant = { id: ParticipantId, role: Role, name: string, 
/**
 * Whether their microphone is muted (false for roles that do not talk).
 */
muted: boolean, 
/**
 * Whether they are connected but not there: a technician whose headset is off their head.
 */
away: boolean, };

export type RecordingStatus = { recording_id: RecordingId, started_by: ParticipantId | null, started_at_ms: number, };

export type RoomSnapshot = { room: RoomId, participants: Array<Participant>, annotations: Array<Annotation>, 
/**
 * The equipment the room's headset reported (kept when it leaves).
 */
equipment: Array<EquipmentInfo>, 
/**
 * The recording running now, if any.
 */
recording: RecordingStatus | null, 
/**
 * Increases with every change to the room's annotations.
 */
version: number, };

export type RoomChange = { "kind": "joined", participant: Participant, } | { "kind": "left", participant_id: ParticipantId, } | { "kind": "muted", participant_id: ParticipantId, muted: boolean, } | { "kind": "away", participant_id: ParticipantId, away: boolean, } | { "kind": "mark_requested", annotation_id: AnnotationId, author: ParticipantId, client_ref: number, request: AnnotationRequest, } | { "kind": "mark_resolved", annotation: Annotation, } | { "kind": "mark_failed", annotation_id: AnnotationId, code: ErrorCode, } | { "kind": "mark_deleted", annotation_id: AnnotationId, by: ParticipantId, } | { "kind": "mark_acknowledged", annotation_id: AnnotationId, by: ParticipantId, } | { "kind": "equipment", items: Array<EquipmentInfo>, } | { "kind": "recording_started", recording_id: RecordingId, by: ParticipantId | null, } | { "kind": "recording_stopped", recording_id: RecordingId, by: ParticipantId | null, reason: string | null, };

export type JournalEvent = { 
/**
 * Position in the room's journal: 1, 2, 3… with no gaps, never reused.
 */
seq: number, 
/**
 * Server time of the change, milliseconds since the Unix epoch.
 */
at_ms: number, change: RoomChange, };

export type RecordedMedia = { 
/**
 * The RTP timestamp of media time 0 (the first keyframe): a frame at media time `t`
 * seconds has RTP timestamp `first_rtp_timestamp + t * 90000` (mod 2^32).
 */
first_rtp_timestamp: number, 
/**
 * When that keyframe arrived, server time (ms since the Unix epoch): an event at
 * `at_ms` is at media time `at_ms - started_at_ms`.
 */
started_at_ms: number, };

export type RecordedVoice = { participant_id: ParticipantId, 
/**
 * The file within the recording (`voice-1.mp4`).
 */
file: string, };

export type RecordingInfo = { recording_id: RecordingId, room: RoomId, started_at_ms: number, started_by: ParticipantId | null, 
/**
 * Absent while it records, and for a recording the server was killed in the middle of
 * until the next start closes it.
 */
stopped_at_ms: number | null, stopped_by: ParticipantId | null, stop_reason: string | null, 
/**
 * The room when the recording started (the marks already placed, who was in): the
 * replay starts from it and applies the recording's events.
 */
initial: RoomSnapshot, 
/**
 * Absent until the first keyframe arrived.
 */
media: RecordedMedia | null, voices: Array<RecordedVoice>, };

export type Bookmark = { 
/**
 * 1, 2, 3… within the recording.
 */
bookmark_id: number, 
/**
 * Where, in the recording's media time (ms from its first keyframe).
 */
media_time_ms: number, note: string, 
/**
 * Who added it (the name on their invite, else its id).
 */
by: string, created_at_ms: number, };

export type RecordingParticipant = { id: ParticipantId, name: string, role: Role, };

export type MarkedEquipment = { id: EquipmentId, 
/**
 * As the room's headset named it; absent when it never did (show the id).
 */
name: string | null, };

export type RecordingListing = { recording_id: RecordingId, room: RoomId, 
/**
 * Server time, ms since the Unix epoch.
 */
started_at_ms: number, 
/**
 * Absent while it records (and for one the server was killed in, until it is closed).
 */
stopped_at_ms: number | null, 
/**
 * Absent when the server started it (`[recording] auto`); one of `participants`.
 */
started_by: ParticipantId | null, 
/**
 * How long its video runs (from the first keyframe to the stop, or to now while it
 * records); absent when no video arrived.
 */
duration_ms: number | null, 
/**
 * Everyone in the room when it started, then everyone who joined while it recorded, in
 * that order.
 */
participants: Array<RecordingParticipant>, 
/**
 * The equipment the marks placed while it recorded are anchored to, in the order first
 * marked.
 */
marked_equipment: Array<MarkedEquipment>, 
/**
 * How many marks were placed (resolved by the headset) while it recorded, deleted ones
 * included; marks already there when it started are not counted.
 */
marks_placed: number, };

export type RecordingList = { recordings: Array<RecordingListing>, 
/**
 * How many matched before the limit: more than `recordings` holds when it cut them.
 */
total: number, };

export type ClientMessage = { "type": "join", room: RoomId, token: string, name: string, 
/**
 * After a lost connection: the `resume_key` of the previous `joined`. The server
 * replaces that participant (if it still holds it, joined with the same token identity)
 * instead of refusing a second technician or showing a ghost.
 */
resume?: string, } | { "type": "offer", sdp: string, } | { "type": "annotate", client_ref: number, request: AnnotationRequest, } | { "type": "delete_annotation", annotation_id: AnnotationId, } | { "type": "resolved", annotation: Annotation, } | { "type": "equipment", items: Array<EquipmentInfo>, } | { "type": "resolve_failed", annotation_id: AnnotationId, code: ErrorCode, message: string, } | { "type": "set_muted", muted: boolean, } | { "type": "acknowledge_mark", annotation_id: AnnotationId, } | { "type": "set_away", away: boolean, } | { "type": "start_recording" } | { "type": "stop_recording" };

export type ServerMessage = { "type": "joined", participant_id: ParticipantId, role: Role, snapshot: RoomSnapshot, 
/**
 * Private to this participant: sent back in `join.resume` after a lost connection.
 */
resume_key: string, } | { "type": "answer", sdp: string, } | { "type": "participant_joined", participant: Participant, } | { "type": "participant_left", participant_id: ParticipantId, } | { "type": "participant_updated", participant: Participant, } | { "type": "annotation_accepted", client_ref: number, annotation_id: AnnotationId, } | { "type": "annotation_added", annotation: Annotation, } | { "type": "annotation_deleted", annotation_id: AnnotationId, by: ParticipantId, } | { "type": "annotation_acknowledged", annotation_id: AnnotationId, by: ParticipantId, } | { "type": "resolve_request" } & ResolveRequest | { "type": "equipment_updated", items: Array<EquipmentInfo>, } | { "type": "recording_started", recording: RecordingStatus, } | { "type": "recording_stopped", recording_id: RecordingId, by: ParticipantId | null, reason: string | null, } | { "type": "closing", message: string, } | { "type": "error", code: ErrorCode, message: string, 
/**
 * Set when the error answers an `annotate` message.
 */
client_ref: number | null, 
/**
 * Set when the error concerns one annotation.
 */
annotation_id: AnnotationId | null, };

export const FRAMES_CHANNEL = "frames";
export const VIDEO_CLOCK_RATE = 90000;
export const MAX_MESSAGE_BYTES = 65536;
