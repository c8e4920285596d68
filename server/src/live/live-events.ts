import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { SocketEventName } from '@rpi-deploy/contracts';

export interface LiveEvent {
  name: SocketEventName;
  payload: unknown;
}

/**
 * The one place modules announce what the dashboards should see; the gateway forwards it.
 * Publishers never wait for, or depend on, the sockets.
 */
@Injectable()
export class LiveEvents {
  private readonly events = new Subject<LiveEvent>();

  publish(name: SocketEventName, payload: unknown): void {
    this.events.next({ name, payload });
  }

  get stream(): Observable<LiveEvent> {
    return this.events.asObservable();
  }
}
