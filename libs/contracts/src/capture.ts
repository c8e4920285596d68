/**
 * Capture: a unit marked for it (`rpi-deploy netboot unit set SERIAL --capture --product P
 * --version V`) netboots the installer in capture mode (kernel parameter `deploy.mode=capture`),
 * which reads its card without writing to it and streams the image to the server as a new
 * version, on the deployment listener.
 */

/** The mark on a unit: its next netboot captures its card as `product` `version`. */
export interface CaptureMarkDto {
  /** The TFTP prefix: the serial's low 32 bits, 8 lower-case hex digits. */
  serial: string;
  product: string;
  version: string;
  markedBy: string;
  markedAt: string;
}

/** PUT /api/netboot/units/:serial/capture (management). */
export interface CaptureMarkRequest {
  product: string;
  version: string;
}

/** POST /api/capture (deployment listener): the marked unit opens a session for its card. */
export interface CaptureOpenRequest {
  serial: string;
  mac: string;
  /** The card's size: the image's size. */
  sizeBytes: number;
}

/** The session: the token goes as `Authorization: Bearer` on every later capture request. */
export interface CaptureSessionDto {
  captureId: string;
  token: string;
  product: string;
  version: string;
  sizeBytes: number;
  /** Bytes the server holds: the next PUT /api/capture/:id/bytes starts here. */
  receivedBytes: number;
}

/** GET /api/capture/:id (deployment listener): where a dropped stream resumes. */
export interface CaptureStateDto {
  sizeBytes: number;
  receivedBytes: number;
}

/** Header of PUT /api/capture/:id/bytes: the image offset of the body's first byte. */
export const CAPTURE_OFFSET_HEADER = 'x-capture-offset';
