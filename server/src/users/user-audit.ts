import { AUDIT_REDACTED } from '@rpi-deploy/contracts';
import type { StateReader } from '../audit/audited.decorator';
import { toUserDto, UsersService } from './users.service';

/** A user as the audit records them: the API view, no secrets. */
export const userState: StateReader = async (resolve, username) => toUserDto(await resolve(UsersService).get(username));

/** The same, marked so the entry shows that a password was involved (never its value). */
export const userPasswordState: StateReader = async (resolve, username) => ({
  ...toUserDto(await resolve(UsersService).get(username)),
  password: AUDIT_REDACTED,
});
