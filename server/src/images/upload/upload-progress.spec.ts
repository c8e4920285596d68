import { SOCKET_EVENTS, type ImageProgressEvent } from '@rpi-deploy/contracts';
import { LiveEvents } from '../../live/live-events';
import { UploadProgressAnnouncer } from './upload-progress';

describe('UploadProgressAnnouncer', () => {
  let events: ImageProgressEvent[];
  let announcer: UploadProgressAnnouncer;

  beforeEach(() => {
    jest.useFakeTimers();
    const live = new LiveEvents();
    events = [];
    live.stream.subscribe(({ name, payload }) => {
      if (name === SOCKET_EVENTS.imageProgress) events.push(payload as ImageProgressEvent);
    });
    announcer = new UploadProgressAnnouncer(live, 'admin', 1000);
  });

  afterEach(() => jest.useRealTimers());

  it('publishes at most every 500 ms however often the pipeline reports, always the latest figures', () => {
    for (let bytes = 1; bytes <= 300; bytes += 1) announcer.report({ receivedBytes: bytes, imageBytes: 0 });
    expect(events.map((event) => event.receivedBytes)).toEqual([1]);
    jest.advanceTimersByTime(499);
    expect(events).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(events.map((event) => event.receivedBytes)).toEqual([1, 300]);
    expect(events[1]).toMatchObject({ stage: 'receiving', uploadedBy: 'admin', totalBytes: 1000 });
  });

  it('ends with stored, and publishes nothing after it', () => {
    announcer.report({ receivedBytes: 1, imageBytes: 0 });
    announcer.report({ receivedBytes: 900, imageBytes: 4096, fields: { product: 'KXP2', version: '1.0' } });
    announcer.stored();
    announcer.report({ receivedBytes: 1000, imageBytes: 4096 });
    jest.advanceTimersByTime(2000);
    expect(events.map((event) => event.stage)).toEqual(['receiving', 'stored']);
    expect(events[1]).toMatchObject({ product: 'KXP2', version: '1.0', receivedBytes: 900, imageBytes: 4096 });
    expect(new Set(events.map((event) => event.uploadId)).size).toBe(1);
  });

  it('says why an upload failed', () => {
    announcer.failed('KXP2 version 1.0 exists already');
    expect(events).toEqual([expect.objectContaining({ stage: 'failed', error: 'KXP2 version 1.0 exists already' })]);
  });
});
