import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager } from 'typeorm';
import type { Role, UserDto, UserPreferencesDto } from '@rpi-deploy/contracts';
import { Transactions } from '../database/transactions';
import { PasswordHasher } from './password-hasher';
import { SessionEnds } from './session-ends';
import { User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly transactions: Transactions,
    private readonly sessionEnds: SessionEnds,
  ) {}

  list(): Promise<User[]> {
    return this.users.find({ order: { username: 'ASC' } });
  }

  count(): Promise<number> {
    return this.users.count();
  }

  async get(username: string): Promise<User> {
    const user = await this.users.findOneBy({ username: username.toLowerCase() });
    if (!user) throw new NotFoundException(`No user named "${username}"`);
    return user;
  }

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async create(username: string, password: string, role: Role): Promise<User> {
    const name = username.toLowerCase();
    const passwordHash = await this.hasher.hash(password);
    try {
      return await this.transactions.run(async (manager) => {
        const repository = manager.getRepository(User);
        if (await repository.existsBy({ username: name })) throw new UsernameTaken(name);
        return repository.save(repository.create({ username: name, passwordHash, role }));
      });
    } catch (error) {
      // Two admins adding the same name at once on PostgreSQL: the unique index decides.
      if (error instanceof UsernameTaken || (await this.users.existsBy({ username: name }))) {
        throw new ConflictException(`A user named "${name}" already exists`);
      }
      throw error;
    }
  }

  /** Changes role and/or disabled flag; never leaves the server without an enabled admin. */
  async update(username: string, changes: { role?: Role; disabled?: boolean }): Promise<User> {
    return this.changeUser(username, async (manager, user) => {
      const losesAdmin =
        user.role === 'admin' &&
        !user.disabled &&
        ((changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true);
      if (losesAdmin && (await this.countEnabledAdmins(manager)) <= 1) {
        throw new ConflictException('This is the last enabled admin: add or enable another admin first');
      }
      if (changes.disabled === true && !user.disabled) user.tokenVersion += 1;
      if (changes.role !== undefined && changes.role !== user.role) user.tokenVersion += 1;
      // Only what was given: the validated body holds the other field as `undefined`, which
      // Object.assign would copy (the answer then lacked the role of a user who was disabled).
      if (changes.role !== undefined) user.role = changes.role;
      if (changes.disabled !== undefined) user.disabled = changes.disabled;
      return manager.save(user);
    });
  }

  /** Sets a new password and signs the user out everywhere. */
  async setPassword(username: string, password: string): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    return this.changeUser(username, async (manager, user) => {
      user.passwordHash = passwordHash;
      user.tokenVersion += 1;
      return manager.save(user);
    });
  }

  async preferences(userId: number): Promise<UserPreferencesDto> {
    const user = await this.users.findOneBy({ id: userId });
    if (!user) throw new NotFoundException('Your account no longer exists: sign in again');
    return toPreferencesDto(user);
  }

  async updatePreferences(userId: number, changes: UserPreferencesDto): Promise<UserPreferencesDto> {
    await this.transactions.run((manager) => manager.update(User, { id: userId }, changes));
    return this.preferences(userId);
  }

  /** The user when the password matches an enabled account, else null (same time either way). */
  async verifyCredentials(username: string, password: string): Promise<User | null> {
    const user = await this.users.findOneBy({ username: username.toLowerCase() });
    const matches = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !matches || user.disabled) return null;
    await this.transactions.run((manager) => manager.update(User, { id: user.id }, { lastLoginAt: new Date() }));
    return user;
  }

  verifyPassword(user: User, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  /**
   * Runs `change` on the locked user in a transaction. When it moved the token version on (the
   * user's sessions ended), says so after the commit, so live connections end as well.
   */
  private async changeUser(
    username: string,
    change: (manager: EntityManager, user: User) => Promise<User>,
  ): Promise<User> {
    let versionBefore: number | undefined;
    const saved = await this.transactions.run(async (manager) => {
      const user = await this.lockUser(manager, username);
      versionBefore = user.tokenVersion;
      return change(manager, user);
    });
    if (saved.tokenVersion !== versionBefore) this.sessionEnds.announce(saved.id);
    return saved;
  }

  private async lockUser(manager: EntityManager, username: string): Promise<User> {
    const user = await manager.getRepository(User).findOne({
      where: { username: username.toLowerCase() },
      // SQLite write transactions are serialised (see Transactions); PostgreSQL needs the lock.
      ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!user) throw new NotFoundException(`No user named "${username}"`);
    return user;
  }

  /** Locks the admin rows on PostgreSQL so two admins cannot demote each other at once. */
  private async countEnabledAdmins(manager: EntityManager): Promise<number> {
    const admins = await manager.getRepository(User).find({
      select: { id: true },
      where: { role: 'admin', disabled: false },
      ...(this.transactions.isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    return admins.length;
  }
}

class UsernameTaken extends Error {
  constructor(username: string) {
    super(`A user named "${username}" already exists`);
  }
}

export function toUserDto(user: User): UserDto {
  return {
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt ? user.lastLoginAt.toISOString() : null,
  };
}

function toPreferencesDto(user: User): UserPreferencesDto {
  return { dashboardView: user.dashboardView };
}
