/** What the image's own config.txt says about booting a Pi 5. */
export interface ImageBootConfig {
  /** `kernel=` when given (else the firmware's default for a Pi 5). */
  kernel: string | null;
  /** `dtoverlay=` names, in order, without parameters (`vc4-kms-v3d` of `dtoverlay=vc4-kms-v3d,cma-512`). */
  overlays: string[];
  /** The `dtoverlay=` and `dtparam=` lines as written: carried into the netboot config.txt. */
  deviceTreeLines: string[];
}

/** Section filters of config.txt that a Raspberry Pi 5 applies; [pi4], [cm4], [pi3]... it skips. */
const PI5_SECTIONS = new Set(['all', 'pi5', 'board-type=0x17']);

/**
 * Reads config.txt as a Pi 5's firmware would for the lines that matter here: only lines under
 * no filter, [all] or [pi5]; other conditional sections ([pi4], [cm4], [gpio...]) are skipped.
 */
export function parseImageBootConfig(text: string): ImageBootConfig {
  const result: ImageBootConfig = { kernel: null, overlays: [], deviceTreeLines: [] };
  let applies = true;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      applies = PI5_SECTIONS.has(section[1].trim().toLowerCase());
      continue;
    }
    if (!applies) continue;
    const [key, ...rest] = line.split('=');
    const value = rest.join('=').trim();
    if (key.trim() === 'kernel' && value) result.kernel = value;
    if (key.trim() === 'dtoverlay' && value) {
      const name = value.split(',')[0].trim();
      if (name && !result.overlays.includes(name)) result.overlays.push(name);
      result.deviceTreeLines.push(`dtoverlay=${value}`);
    }
    if (key.trim() === 'dtparam' && value) result.deviceTreeLines.push(`dtparam=${value}`);
  }
  return result;
}
