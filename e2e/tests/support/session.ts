import { expect, type APIRequestContext, type Page } from '@playwright/test';
import type { LoginResponse } from '@rpi-deploy/contracts';
import { E2E_ADMIN_PASSWORD } from '../../playwright.config';

/** Must match the dashboard's storage key (web/src/app/auth/session-store.ts). */
const SESSION_STORAGE_KEY = 'rpi-deploy.session';

export interface ApiSession {
  accessToken: string;
  username: string;
  role: LoginResponse['user']['role'];
  expiresAt: number;
}

export async function apiLogin(
  request: APIRequestContext,
  username = 'admin',
  password = E2E_ADMIN_PASSWORD,
): Promise<ApiSession> {
  const response = await request.post('/api/auth/login', { data: { username, password } });
  expect(response.status(), await response.text()).toBe(200);
  const body = (await response.json()) as LoginResponse;
  return {
    accessToken: body.accessToken,
    username: body.user.username,
    role: body.user.role,
    expiresAt: Date.now() + body.expiresIn * 1000,
  };
}

/** Starts the browser signed in, as a reload after an earlier login would; later logouts stick. */
export async function signIn(page: Page, session: ApiSession, origin?: string): Promise<void> {
  const stored = {
    accessToken: session.accessToken,
    user: { username: session.username, role: session.role },
    expiresAt: session.expiresAt,
  };
  await page.goto(origin ? `${origin}/login` : '/login');
  await page.evaluate(([key, value]) => window.localStorage.setItem(key, value), [
    SESSION_STORAGE_KEY,
    JSON.stringify(stored),
  ] as const);
}

/** Signs in through the login form. */
export async function logInWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

export function bearer(session: ApiSession): Record<string, string> {
  return { Authorization: `Bearer ${session.accessToken}` };
}
