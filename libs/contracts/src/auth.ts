import type { Role } from './roles';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,31}$/;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
/** Least zxcvbn score (0-4) a new password needs: 2 = "somewhat guessable", beyond online guessing. */
export const PASSWORD_MIN_SCORE = 2;
/** The password rule in words, as the server refuses a password and the dashboard shows it. */
export const PASSWORD_RULE =
  `at least ${PASSWORD_MIN_LENGTH} characters and not easy to guess: ` +
  'no common passwords, words or names alone, no repeats, sequences (1234567890) or keyboard rows';

export interface LoginRequest {
  username: string;
  password: string;
}

export interface UserDto {
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface LoginResponse {
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
  user: Pick<UserDto, 'username' | 'role'>;
}

export interface CreateUserRequest {
  username: string;
  password: string;
  role: Role;
}

export interface UpdateUserRequest {
  role?: Role;
  disabled?: boolean;
}

export interface SetPasswordRequest {
  password: string;
}

export interface ChangeOwnPasswordRequest {
  currentPassword: string;
  newPassword: string;
}
