import { Logger, OnModuleDestroy } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Subscription } from 'rxjs';
import { createAdapter } from '@socket.io/postgres-adapter';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Server, Socket } from 'socket.io';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { AuthService } from '../auth/auth.service';
import { SessionEnds } from '../users/session-ends';
import { ClusterRelay } from './cluster-relay';
import { LiveEvents, type LiveEvent } from './live-events';
import { inEmitOrder } from './ordered-broadcasts';

const DASHBOARDS = 'dashboards';

/** The room of one user's sockets, so they can all be ended together. */
const userRoom = (userId: number) => `user:${userId}`;

/**
 * socket.io on the management listener: every logged-in dashboard gets the live events.
 * The handshake must carry the access token (`auth: { token }`), else it is refused. When a
 * user's sessions end (disabled, password or role changed), their sockets are disconnected at
 * once: a socket holds no token the server could re-check on each event. On PostgreSQL the
 * socket.io PostgreSQL adapter carries both to the dashboards of every instance.
 */
@WebSocketGateway({ path: '/socket.io', serveClient: false })
export class LiveGateway implements OnGatewayInit, OnModuleDestroy {
  private readonly logger = new Logger('Live');
  private readonly subscriptions: Subscription[] = [];
  /** PostgreSQL: the live events go to the other instances through here, one message per turn. */
  private relay?: ClusterRelay;

  @WebSocketServer()
  private server!: Server;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly events: LiveEvents,
    private readonly sessionEnds: SessionEnds,
  ) {}

  afterInit(server: Server): void {
    if (this.dataSource.driver instanceof PostgresDriver) {
      // Several instances may serve one PostgreSQL: what one emits to its dashboards room goes
      // over LISTEN/NOTIFY to the dashboards connected to the others (the pool is TypeORM's).
      const pool = this.dataSource.driver.master as Pool;
      const postgresAdapter = createAdapter(pool, { errorHandler: (error) => this.logger.error(error) });
      // socket.io calls the factory with `new`: a function, not an arrow.
      server.adapter(function orderedPostgresAdapter(namespace: Parameters<typeof postgresAdapter>[0]) {
        return inEmitOrder(postgresAdapter(namespace));
      });
      this.relay = new ClusterRelay(server, (events) => this.emitHere(events));
    }
    server.use((socket: Socket, next) => {
      const token = handshakeToken(socket);
      if (!token) return next(new Error('unauthorized: connect with auth: { token: <accessToken> }'));
      this.admit(socket, token).then(
        () => next(),
        () => next(new Error('unauthorized: the access token is invalid or expired, log in again')),
      );
    });
    this.subscriptions.push(
      this.events.stream.subscribe((event) =>
        this.relay ? this.relay.publish(event) : this.server.to(DASHBOARDS).emit(event.name, event.payload),
      ),
      // A disconnect packet (not a closed transport), so the client knows not to reconnect by itself.
      this.sessionEnds.stream.subscribe((userId) => this.server.in(userRoom(userId)).disconnectSockets()),
    );
    this.logger.debug('Live updates ready on /socket.io');
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.relay?.close();
  }

  /** To the dashboards connected to this instance only (the relay brings the others theirs). */
  private emitHere(events: LiveEvent[]): void {
    for (const { name, payload } of events) this.server.local.to(DASHBOARDS).emit(name, payload);
  }

  private async admit(socket: Socket, token: string): Promise<void> {
    const user = await this.auth.authenticate(token);
    socket.data.user = user;
    await socket.join(userRoom(user.id));
    // A session that ended between the check above and the join was announced to a room this
    // socket was not in yet: checked once more now that any later end reaches it.
    await this.auth.authenticate(token);
    await socket.join(DASHBOARDS);
  }
}

function handshakeToken(socket: Socket): string | undefined {
  const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof fromAuth === 'string' && fromAuth) return fromAuth;
  return /^Bearer\s+(\S+)$/i.exec(socket.handshake.headers.authorization ?? '')?.[1];
}
