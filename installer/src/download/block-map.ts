import { createHash } from 'node:crypto';
import type { ImageMap, MapRange } from './image-map';
import { InstallError } from '../install-error';

/**
 * Reads a bmaptool block map (format 2.0, also the identical 1.4) into an ImageMap. The map's own
 * checksum is verified first: a map that is damaged in transit would otherwise make the writer
 * skip data. Range checksums are optional in the format; when present they are SHA-256.
 */
export function parseBlockMap(xml: string): ImageMap {
  const fail = (problem: string): never => {
    throw new InstallError(`the image's block map is invalid: ${problem}`);
  };
  const version = /<bmap\s+version\s*=\s*"(\d+)\.(\d+)"/.exec(xml) ?? fail('no <bmap version="..."> element');
  if (!(version[1] === '2' || (version[1] === '1' && version[2] === '4'))) {
    fail(`format version ${version[1]}.${version[2]} is not supported (bmaptool 2.x maps are)`);
  }
  const number = (tag: string): number => {
    const text = element(xml, tag) ?? fail(`<${tag}> is missing`);
    return /^\d+$/.test(text) ? Number(text) : fail(`<${tag}> is not a number: "${text}"`);
  };
  const imageSize = number('ImageSize');
  const blockSize = number('BlockSize');
  const blocksCount = number('BlocksCount');
  const mappedBlocksCount = number('MappedBlocksCount');
  if (blockSize === 0 || blocksCount !== Math.ceil(imageSize / blockSize)) {
    fail(`${blocksCount} blocks of ${blockSize} bytes do not make an image of ${imageSize} bytes`);
  }
  const checksumType = element(xml, 'ChecksumType')?.toLowerCase() ?? fail('<ChecksumType> is missing');
  if (checksumType !== 'sha256') fail(`checksum type ${checksumType} is not supported (sha256 is)`);
  verifyMapChecksum(xml, element(xml, 'BmapFileChecksum') ?? fail('<BmapFileChecksum> is missing'), fail);

  const ranges: MapRange[] = [];
  let blocks = 0;
  for (const match of xml.matchAll(/<Range\b([^>]*)>([^<]*)<\/Range>/g)) {
    const bounds = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(match[2]) ?? fail(`range "${match[2].trim()}" is malformed`);
    const first = Number(bounds[1]);
    const last = bounds[2] === undefined ? first : Number(bounds[2]);
    const previous = ranges.at(-1);
    if (last < first) fail(`range ${first}-${last} runs backwards`);
    if (last >= blocksCount) fail(`range ${first}-${last} is outside the image's ${blocksCount} blocks`);
    if (previous && first * blockSize < previous.end)
      fail(`range ${first}-${last} overlaps or precedes the one before`);
    const sha256 = /\bchksum\s*=\s*"([^"]*)"/.exec(match[1])?.[1].toLowerCase();
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) fail(`range ${first}-${last} has a malformed checksum`);
    ranges.push({
      start: first * blockSize,
      end: Math.min((last + 1) * blockSize, imageSize),
      sha256,
      label: `block map range ${ranges.length + 1} (blocks ${first}-${last})`,
    });
    blocks += last - first + 1;
  }
  if (blocks !== mappedBlocksCount)
    fail(`the ranges hold ${blocks} blocks but <MappedBlocksCount> says ${mappedBlocksCount}`);
  return { imageSize, ranges, fromBlockMap: true };
}

function element(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1].trim();
}

/** bmaptool's definition: the SHA-256 of the file with the checksum's own digits replaced by "0"s. */
function verifyMapChecksum(xml: string, expected: string, fail: (problem: string) => never): void {
  const at = xml.indexOf(expected, xml.indexOf('<BmapFileChecksum>'));
  const zeroed = xml.slice(0, at) + '0'.repeat(expected.length) + xml.slice(at + expected.length);
  const actual = createHash('sha256').update(zeroed, 'utf8').digest('hex');
  if (actual !== expected.toLowerCase())
    fail(`its checksum is ${actual} but it says ${expected}: it was damaged or edited`);
}
