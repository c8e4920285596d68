import type { Role } from '@rpi-deploy/contracts';

/** One entry of the side navigation. */
export interface NavItem {
  label: string;
  path: string;
  /** Material icon ligature. */
  icon: string;
  /** Shown only to this role or higher; without it, to everyone. */
  role?: Role;
}

export const NAV_ITEMS: readonly NavItem[] = [
  { label: 'Dashboard', path: '/dashboard', icon: 'dashboard' },
  { label: 'Venues', path: '/venues', icon: 'place' },
  { label: 'Batches', path: '/batches', icon: 'playlist_play' },
  { label: 'Images', path: '/images', icon: 'album' },
  { label: 'Deployments', path: '/deployments', icon: 'history' },
  { label: 'Statistics', path: '/statistics', icon: 'insights' },
  { label: 'Netboot', path: '/netboot', icon: 'lan' },
  { label: 'Admin', path: '/admin', icon: 'admin_panel_settings' },
  { label: 'Audit', path: '/audit', icon: 'policy', role: 'admin' },
];
