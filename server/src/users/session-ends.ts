import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

/**
 * The users whose sessions have just ended (disabled, password or role changed: their token
 * version moved on), announced once the change is committed. HTTP requests find out by
 * themselves (every request re-checks the token version); long-lived connections such as the
 * live sockets listen here to end at once.
 */
@Injectable()
export class SessionEnds {
  private readonly ended = new Subject<number>();

  announce(userId: number): void {
    this.ended.next(userId);
  }

  /** The ids of users whose sessions ended. */
  get stream(): Observable<number> {
    return this.ended.asObservable();
  }
}
