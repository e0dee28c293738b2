// Calls back for every video frame presented, with its metadata (re-registering each time).

export function watchFrames(
  video: HTMLVideoElement,
  callback: (now: number, metadata: VideoFrameCallbackMetadata) => void,
): boolean {
  if (typeof video.requestVideoFrameCallback !== 'function') return false;
  const step = (now: number, metadata: VideoFrameCallbackMetadata) => {
    video.requestVideoFrameCallback(step);
    callback(now, metadata);
  };
  video.requestVideoFrameCallback(step);
  return true;
}
