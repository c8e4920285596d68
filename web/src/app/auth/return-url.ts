export const HOME_URL = '/dashboard';
export const LOGIN_PATH = '/login';

/**
 * The in-app URL to go to after login. Anything that is not a plain path of this app (absolute
 * URLs, protocol-relative "//host" tricks, the login page itself) falls back to the dashboard,
 * so a crafted link cannot send a freshly logged-in user elsewhere.
 */
export function safeReturnUrl(candidate: string | null | undefined): string {
  if (!candidate || !candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) {
    return HOME_URL;
  }
  const path = candidate.split(/[?#]/, 1)[0];
  return path === LOGIN_PATH || path.startsWith(`${LOGIN_PATH}/`) ? HOME_URL : candidate;
}
