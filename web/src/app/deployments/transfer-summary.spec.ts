import { transferSummary } from './transfer-summary';

describe('transferSummary', () => {
  it('says what a chunked install fetched, wrote and reused', () => {
    expect(
      transferSummary({
        bytesFetched: 3 * 1024 * 1024,
        bytesWritten: 40 * 1024 * 1024,
        chunksReused: 40,
        chunksTotal: 52,
      }),
    ).toBe('3.00 MiB fetched, 40.0 MiB written, 40 of 52 chunks reused from the card');
  });

  it('leaves chunks out of a whole-image install, and has a dash before an install succeeded', () => {
    expect(transferSummary({ bytesFetched: 512, bytesWritten: 1024 })).toBe('512 B fetched, 1.00 KiB written');
    expect(transferSummary(null)).toBe('–');
  });
});
