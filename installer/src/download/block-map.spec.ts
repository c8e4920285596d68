import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBlockMap } from '@rpi-deploy/test-kit';
import { makeWorkDir } from '../../test/support/work-dir';
import { parseBlockMap } from './block-map';
import { InstallError } from '../install-error';

const work = makeWorkDir('block-map');
afterAll(() => work.remove());

/** An image of 3 MiB + 1000 bytes with data in blocks 0, 10-12 and in the partial last block. */
function sampleImage(): { image: Buffer; xml: string } {
  const image = Buffer.alloc(3 * 1024 * 1024 + 1000);
  image.fill(7, 0, 100);
  image.fill(9, 10 * 4096, 13 * 4096);
  image.fill(1, image.length - 10);
  const path = join(work.path, 'sample.img');
  writeFileSync(path, image);
  writeBlockMap(path, `${path}.bmap`);
  return { image, xml: readFileSync(`${path}.bmap`, 'utf8') };
}

/** A map edited on purpose, with its own checksum recomputed the bmaptool way. */
function withValidChecksum(xml: string): string {
  const zeroed = xml.replace(/<BmapFileChecksum> [0-9a-f]{64} </, `<BmapFileChecksum> ${'0'.repeat(64)} <`);
  return zeroed.replace('0'.repeat(64), createHash('sha256').update(zeroed).digest('hex'));
}

function problem(xml: string): string {
  try {
    parseBlockMap(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(InstallError);
    return (error as Error).message;
  }
  throw new Error('expected the block map to be refused');
}

describe('parseBlockMap', () => {
  it('reads a bmaptool 2.0 map into byte ranges with their checksums', () => {
    const { image, xml } = sampleImage();
    const map = parseBlockMap(xml);
    const sha = (start: number, end: number) => createHash('sha256').update(image.subarray(start, end)).digest('hex');
    expect(map).toEqual({
      imageSize: image.length,
      fromBlockMap: true,
      ranges: [
        { start: 0, end: 4096, sha256: sha(0, 4096), label: 'block map range 1 (blocks 0-0)' },
        { start: 40960, end: 53248, sha256: sha(40960, 53248), label: 'block map range 2 (blocks 10-12)' },
        // The last block is partial: the range ends with the image.
        {
          start: 3145728,
          end: image.length,
          sha256: sha(3145728, image.length),
          label: 'block map range 3 (blocks 768-768)',
        },
      ],
    });
  });

  it('accepts ranges without checksums (bmaptool --no-checksum)', () => {
    const { xml } = sampleImage();
    const map = parseBlockMap(withValidChecksum(xml.replace(/ chksum="[0-9a-f]+"/g, '')));
    expect(map.ranges.map((range) => range.sha256)).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a map whose own checksum does not match (damaged or edited)', () => {
    const { xml } = sampleImage();
    expect(problem(xml.replace('> 10-12 <', '> 10-11 <'))).toMatch(
      /its checksum is [0-9a-f]{64} but it says [0-9a-f]{64}/,
    );
  });

  it('refuses formats and contents it cannot use', () => {
    const { xml } = sampleImage();
    const edited = (from: string | RegExp, to: string) => withValidChecksum(xml.replace(from, to));
    expect(problem(edited('version="2.0"', 'version="1.3"'))).toMatch(/format version 1\.3 is not supported/);
    expect(problem(edited('<ChecksumType> sha256 <', '<ChecksumType> md5 <'))).toMatch(
      /checksum type md5 is not supported/,
    );
    expect(problem(edited(/<BlocksCount> \d+ </, '<BlocksCount> 5 <'))).toMatch(
      /5 blocks of 4096 bytes do not make an image/,
    );
    expect(problem(edited(/<MappedBlocksCount> \d+ </, '<MappedBlocksCount> 4 <'))).toMatch(/the ranges hold 5 blocks/);
    expect(problem(edited('> 10-12 <', '> 12-10 <'))).toMatch(/range 12-10 runs backwards/);
    expect(problem(edited('> 768 <', '> 769 <'))).toMatch(/range 769-769 is outside the image's 769 blocks/);
    expect(problem('<html>not a map</html>')).toMatch(/no <bmap version/);
  });
});
