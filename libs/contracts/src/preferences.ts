/** How the live dashboard shows the units: one card each (three to a row), or the compact wall of tiles. */
export const DASHBOARD_VIEWS = ['cards', 'wall'] as const;
export type DashboardView = (typeof DASHBOARD_VIEWS)[number];

/**
 * `GET /api/users/me/preferences`: the signed-in user's own choices, kept on the server so they
 * follow the user from browser to browser.
 */
export interface UserPreferencesDto {
  dashboardView: DashboardView;
}

/** `PUT /api/users/me/preferences`: every field is optional; what is left out stays as it was. */
export type UpdateUserPreferencesRequest = Partial<UserPreferencesDto>;
