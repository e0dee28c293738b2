// The three.js overlay: a transparent canvas over the displayed video rectangle, rendered with
// a camera whose pose and projection are exactly the displayed frame's.
import { Matrix4, PerspectiveCamera, Scene, Vector3, WebGLRenderer } from 'three';
import type { Annotation, AnnotationId, FrameMeta } from '../generated/protocol';
import { keyPoint } from '../annotations';
import { annotationObject, type AnnotationObject } from './meshes';
import { projectionMatrix } from './camera';

const NEAR = 0.02;
const FAR = 200;

export interface DrawnPosition {
  id: AnnotationId;
  /** Page (viewport) CSS pixels where the key point was drawn. */
  x: number;
  y: number;
  /** False when the key point was behind the camera (x and y are then meaningless). */
  inFront: boolean;
  /** The frame that render used. */
  rtpTimestamp: number;
}

export class OverlayRenderer {
  private readonly gl: WebGLRenderer | null;
  private readonly scene = new Scene();
  private readonly camera = new PerspectiveCamera();
  private readonly objects = new Map<AnnotationId, { source: Annotation; obj: AnnotationObject }>();
  private drawn: DrawnPosition[] = [];
  private cssWidth = 0;
  private cssHeight = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    onError: (message: string) => void,
  ) {
    let gl: WebGLRenderer | null = null;
    try {
      gl = new WebGLRenderer({ canvas, alpha: true, antialias: true, preserveDrawingBuffer: true });
      gl.setClearColor(0x000000, 0);
      gl.setPixelRatio(window.devicePixelRatio);
    } catch (e) {
      onError(`The annotation overlay is unavailable (WebGL failed: ${String(e)}).`);
    }
    this.gl = gl;
    this.camera.matrixAutoUpdate = true;
  }

  /** Sets the canvas size in CSS pixels (the displayed video rectangle). */
  setSize(width: number, height: number): void {
    this.cssWidth = width;
    this.cssHeight = height;
    if (this.gl) this.gl.setSize(width, height, true);
    else {
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
  }

  /** Makes the scene show exactly `annotations` (objects are rebuilt only for changed ones). */
  setAnnotations(annotations: readonly Annotation[]): void {
    const wanted = new Set(annotations.map((a) => a.id));
    for (const [id, entry] of this.objects) {
      if (!wanted.has(id)) this.remove(id, entry.obj);
    }
    for (const a of annotations) {
      const entry = this.objects.get(a.id);
      if (entry?.source === a) continue;
      if (entry) this.remove(a.id, entry.obj);
      const obj = annotationObject(a);
      this.scene.add(obj.object);
      this.objects.set(a.id, { source: a, obj });
    }
  }

  /** Renders the annotations as seen by the camera of `frame`, or clears without a frame. */
  render(frame: FrameMeta | null): void {
    if (!frame) {
      this.drawn = [];
      this.gl?.clear();
      return;
    }
    const { pose, intrinsics } = frame;
    const cam = this.camera;
    cam.position.set(...pose.position);
    cam.quaternion.set(...pose.rotation);
    cam.updateMatrixWorld(true);
    cam.projectionMatrix.fromArray(projectionMatrix(intrinsics, NEAR, FAR));
    cam.projectionMatrixInverse.copy(cam.projectionMatrix).invert();
    for (const { obj } of this.objects.values()) {
      for (const b of obj.billboards) b.quaternion.copy(cam.quaternion);
    }
    this.gl?.render(this.scene, cam);
    this.drawn = this.computeDrawn(frame.rtp_timestamp);
  }

  drawnPositions(): readonly DrawnPosition[] {
    return this.drawn;
  }

  private computeDrawn(rtpTimestamp: number): DrawnPosition[] {
    const box = this.canvas.getBoundingClientRect();
    const view = new Matrix4().multiplyMatrices(
      this.camera.projectionMatrix,
      this.camera.matrixWorldInverse,
    );
    const out: DrawnPosition[] = [];
    for (const { source } of this.objects.values()) {
      const p = keyPoint(source);
      if (!p) continue;
      const local = new Vector3(...p).applyMatrix4(this.camera.matrixWorldInverse);
      const ndc = new Vector3(...p).applyMatrix4(view);
      out.push({
        id: source.id,
        x: box.left + ((ndc.x + 1) / 2) * this.cssWidth,
        y: box.top + ((1 - ndc.y) / 2) * this.cssHeight,
        inFront: local.z < 0,
        rtpTimestamp,
      });
    }
    return out;
  }

  private remove(id: AnnotationId, obj: AnnotationObject): void {
    this.scene.remove(obj.object);
    obj.dispose();
    this.objects.delete(id);
  }
}
