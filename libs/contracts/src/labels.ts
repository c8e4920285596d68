/**
 * Unit labels (`GET /api/labels.pdf`, the dashboard's printable page): one label per unit, the
 * size of a Brother DK-11209 die-cut label, 62 mm x 29 mm. A QL label printer on the bench prints
 * the label of the unit in hand, so nothing waits for a sheet to fill and nothing has to line up
 * with a sheet's grid; 29 mm still holds a QR code that a phone reads from 30 cm.
 */
export const LABEL_SIZE_MM = { width: 62, height: 29 } as const;

/** Most units one labels request may name (`deploymentIds=`). */
export const LABELS_MAX_DEPLOYMENTS = 500;

/** Response header of `GET /api/labels.pdf`: how many labels (pages) it holds. */
export const LABEL_COUNT_HEADER = 'x-label-count';

/** What a label shows. */
export interface UnitLabel {
  hostname: string;
  serial: string;
  mac: string;
}

/**
 * The text the label's QR code holds: hostname, serial and MAC on three lines, so any phone
 * scanner shows them readably and a script can split them.
 */
export function labelQrText(label: UnitLabel): string {
  return `${label.hostname}\n${label.serial}\n${label.mac}`;
}
