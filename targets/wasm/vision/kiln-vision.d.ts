// Types of kiln-vision.mjs: decoders for vision models compiled by
// `kilnc --target=wasm` (BlazeFace, FaceMesh, MoveNet, PoseNet).

/** An RGBA frame: ImageData, or any such object of width x height x 4 bytes. */
export interface Frame {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A rotated rectangle, normalized to the image ([0, 1] of width and height); rotation in radians. */
export interface Region {
  xCenter: number;
  yCenter: number;
  width: number;
  height: number;
  rotation: number;
}

export interface Box {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A face: box and six keypoints (eyes, nose, mouth, ear tragions), normalized. */
export interface Detection {
  score: number;
  box: Box;
  keypoints: Point[];
}

export interface BlazeFaceConfig {
  readonly inputSize: number;
  readonly strides: readonly number[];
  readonly minScore?: number;
}

export const BLAZEFACE_FRONT: BlazeFaceConfig;
export const BLAZEFACE_BACK: BlazeFaceConfig;

export function ssdAnchors(config: BlazeFaceConfig): Float32Array;
export function decodeBlazeFace(
  raw: Float32Array | Float32Array[],
  config: BlazeFaceConfig,
  options?: { logits?: Float32Array | Float32Array[]; anchors?: Float32Array; minScore?: number },
): Detection[];
export function nonMaxSuppression(
  dets: readonly Detection[],
  options?: { iouThreshold?: number; maxResults?: number; weighted?: boolean },
): Detection[];
export function wholeImage(
  width: number,
  height: number,
  options?: { tensorWidth?: number; tensorHeight?: number; keepAspect?: boolean },
): Region;
export function cropToTensor(
  frame: Frame,
  region: Region,
  options: { width: number; height: number; range?: [number, number]; border?: 'zero' | 'replicate'; out?: Float32Array },
): Float32Array;
export function projectDetections(dets: readonly Detection[], region: Region, imageWidth: number, imageHeight: number): Detection[];
export function faceRegionFromDetection(det: Detection, imageWidth: number, imageHeight: number): Region;
export function faceRegionFromLandmarks(points: Float32Array, imageWidth: number, imageHeight: number): Region;
/** 468 x (x, y, z) in image pixels. */
export function decodeFaceMesh(
  mesh: Float32Array,
  region: Region,
  imageWidth: number,
  imageHeight: number,
  options?: { inputSize?: number; out?: Float32Array },
): Float32Array;

export const POSE_KEYPOINTS: readonly string[];
export interface Keypoint {
  name: string;
  x: number;
  y: number;
  score: number;
}
/** A box normalized to the image. */
export interface NormBox {
  yMin: number;
  xMin: number;
  yMax: number;
  xMax: number;
}
export function moveNetCrop(imageWidth: number, imageHeight: number): NormBox;
/** pose-detection's crop after a lost pose: the frame padded to a centred square. */
export function moveNetPaddedCrop(imageWidth: number, imageHeight: number): NormBox;
/** The next frame's MoveNet crop from this frame's keypoints (image pixels). */
export function moveNetNextCrop(keypoints: Keypoint[], imageWidth: number, imageHeight: number): NormBox;
export function cropAndResize<T extends Float32Array | Int32Array = Float32Array>(
  frame: Frame,
  box: NormBox,
  options: { width: number; height: number; out?: T },
): T;
export function decodeMoveNet(
  output: Float32Array,
  imageWidth: number,
  imageHeight: number,
  options?: { box?: NormBox },
): { keypoints: Keypoint[]; score: number };
export function decodePoseNet(
  heatmaps: Float32Array,
  offsets: Float32Array,
  options: {
    height: number;
    width: number;
    outputStride: number;
    region?: Region;
    inputWidth?: number;
    inputHeight?: number;
    imageWidth?: number;
    imageHeight?: number;
  },
): { keypoints: Keypoint[]; score: number };

/** The part of a loaded Kiln model (NAME.mjs's load()) the tracker uses. */
export interface KilnModel {
  readonly inputs: readonly { name: string; shape: readonly number[] }[];
  readonly outputs: readonly { name: string; shape: readonly number[] }[];
  run(inputs: Record<string, Float32Array>): Record<string, Float32Array>;
}

export interface TrackedFace {
  /** 468 x (x, y, z), image pixels. */
  landmarks: Float32Array;
  /** FaceMesh's face flag. */
  score: number;
  /** Whether the detector ran on this frame (else the face was tracked). */
  detected: boolean;
  region: Region;
}

export class FaceTracker {
  constructor(
    detector: KilnModel,
    mesh: KilnModel,
    options?: {
      config?: BlazeFaceConfig;
      minPresence?: number;
      iouThreshold?: number;
      weighted?: boolean;
      /** The detector was compiled with --input-image=input:rgba8 --normalize=-1,1 --fit=letterbox --resize=asymmetric. */
      detectorTakesFrames?: boolean;
    },
  );
  detect(frame: Frame): Detection | null;
  track(frame: Frame): TrackedFace | null;
  reset(): void;
}

/** A one-euro filter's settings (pose-detection's OneEuroFilterConfig, value scaling off). */
export interface SmoothingConfig {
  /** Hz, the rate assumed until two timestamps give the real one (it changes no result). */
  frequency: number;
  /** Hz, the value's cut-off when still. */
  minCutOff: number;
  /** How much the cut-off rises with speed (per normalized unit per second). */
  beta: number;
  /** Hz, the speed's cut-off. */
  derivateCutOff: number;
  /** Steps beyond thresholdCutOff + thresholdBeta x speed are compressed (asinh); none when absent. */
  thresholdCutOff?: number;
  thresholdBeta?: number;
}
/** MoveNet's settings in pose-detection 2.1.3 (KEYPOINT_FILTER_CONFIG). */
export const MOVENET_SMOOTHING: Readonly<SmoothingConfig>;

/** Smooths keypoints over time (one-euro filter per coordinate), as pose-detection does. */
export class KeypointSmoother {
  constructor(config?: SmoothingConfig);
  /**
   * New keypoints with x and y filtered; other fields (score, name) pass through.
   * `timestampMs`: the frame's time in milliseconds; one not later than the last
   * (at first: not over 0) returns them unfiltered. `width` / `height`: the units the
   * filter works in (the frame's size for keypoints in pixels; default 1).
   */
  apply<K extends Point>(keypoints: readonly K[], timestampMs: number, options?: { width?: number; height?: number }): K[];
  /** The next keypoints pass unchanged and start the filter again. */
  reset(): void;
}

/** MoveNet over video as pose-detection runs it: crops follow the pose; keypoints smoothed over time. */
export class PoseTracker {
  constructor(
    model: KilnModel,
    options?: {
      minPoseScore?: number;
      /** pose-detection's enableSmoothing: on by default (MOVENET_SMOOTHING); false, or other settings. */
      smoothing?: boolean | SmoothingConfig;
    },
  );
  /**
   * The pose, and the crop it came from; null when it scores under minPoseScore
   * (the next frame then starts afresh). `timestampMs`: the frame's time in
   * milliseconds (`video.currentTime * 1000`, what pose-detection reads from a
   * <video>; or performance.now()). Without it the frame is not smoothed, as
   * pose-detection does for an image or a tensor.
   */
  track(frame: Frame, timestampMs?: number): { keypoints: Keypoint[]; score: number; box: NormBox } | null;
  /** Forgets the pose and the smoothing history. */
  reset(): void;
}
