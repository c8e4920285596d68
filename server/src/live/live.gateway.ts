import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Subscription } from 'rxjs';
import type { Server, Socket } from 'socket.io';
import { AuthService } from '../auth/auth.service';
import { LiveEvents } from './live-events';

const DASHBOARDS = 'dashboards';

/**
 * socket.io on the management listener: every logged-in dashboard gets the live events.
 * The handshake must carry the access token (`auth: { token }`), else it is refused.
 */
@WebSocketGateway({ path: '/socket.io', serveClient: false })
export class LiveGateway implements OnGatewayInit, OnModuleDestroy {
  private readonly logger = new Logger('Live');
  private subscription?: Subscription;

  @WebSocketServer()
  private server!: Server;

  constructor(
    private readonly auth: AuthService,
    private readonly events: LiveEvents,
  ) {}

  afterInit(server: Server): void {
    server.use((socket: Socket, next) => {
      const token = handshakeToken(socket);
      if (!token) return next(new Error('unauthorized: connect with auth: { token: <accessToken> }'));
      this.auth.authenticate(token).then(
        (user) => {
          socket.data.user = user;
          void socket.join(DASHBOARDS);
          next();
        },
        () => next(new Error('unauthorized: the access token is invalid or expired, log in again')),
      );
    });
    this.subscription = this.events.stream.subscribe(({ name, payload }) =>
      this.server.to(DASHBOARDS).emit(name, payload),
    );
    this.logger.debug('Live updates ready on /socket.io');
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}

function handshakeToken(socket: Socket): string | undefined {
  const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof fromAuth === 'string' && fromAuth) return fromAuth;
  return /^Bearer\s+(\S+)$/i.exec(socket.handshake.headers.authorization ?? '')?.[1];
}
