import { Routes } from '@angular/router';
import { authGuard } from './auth/auth.guard';
import { guestOnlyGuard } from './auth/guest-only.guard';
import { roleGuard } from './auth/role.guard';
import { NotFoundPage } from './not-found/not-found-page';
import { AppShell } from './shell/app-shell';

export const routes: Routes = [
  {
    path: 'login',
    title: 'Log in',
    canActivate: [guestOnlyGuard],
    loadComponent: () => import('./auth/login-page/login-page').then((m) => m.LoginPage),
  },
  {
    // Everything else needs a session and lives inside the toolbar + navigation shell.
    path: '',
    component: AppShell,
    canActivate: [authGuard],
    canActivateChild: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
      {
        path: 'dashboard',
        title: 'Dashboard',
        loadComponent: () => import('./dashboard/dashboard-page').then((m) => m.DashboardPage),
      },
      {
        path: 'venues',
        title: 'Venues',
        loadComponent: () => import('./venues/venues-page').then((m) => m.VenuesPage),
      },
      {
        path: 'venues/:code',
        title: 'Venue',
        loadComponent: () => import('./venues/venue-detail-page').then((m) => m.VenueDetailPage),
      },
      {
        path: 'batches',
        title: 'Batches',
        loadComponent: () => import('./batches/batches-page').then((m) => m.BatchesPage),
      },
      {
        path: 'labels',
        title: 'Labels',
        loadComponent: () => import('./labels/labels-page').then((m) => m.LabelsPage),
      },
      {
        path: 'images',
        title: 'Images',
        loadComponent: () => import('./images/images-page').then((m) => m.ImagesPage),
      },
      {
        path: 'deployments',
        title: 'Deployments',
        loadComponent: () => import('./deployments/deployments-page').then((m) => m.DeploymentsPage),
      },
      {
        path: 'led-codes',
        title: 'LED codes',
        loadComponent: () => import('./led-codes/led-codes-page').then((m) => m.LedCodesPage),
      },
      {
        path: 'deployments/:id',
        title: 'Deployment',
        loadComponent: () => import('./deployments/deployment-detail-page').then((m) => m.DeploymentDetailPage),
      },
      {
        // Lazy like every page: chart.js only loads with the pages that draw charts.
        path: 'statistics',
        title: 'Statistics',
        loadComponent: () => import('./statistics/statistics-page').then((m) => m.StatisticsPage),
      },
      {
        path: 'netboot',
        title: 'Netboot',
        loadComponent: () => import('./netboot/netboot-page').then((m) => m.NetbootPage),
      },
      {
        path: 'admin',
        title: 'Admin',
        loadComponent: () => import('./admin/admin-page').then((m) => m.AdminPage),
      },
      {
        path: 'audit',
        title: 'Audit',
        canActivate: [roleGuard('admin')],
        loadComponent: () => import('./audit/audit-page').then((m) => m.AuditPage),
      },
      // The admin page was once at /server: bookmarks keep working.
      { path: 'server', redirectTo: 'admin' },
      { path: '**', title: 'Page not found', component: NotFoundPage },
    ],
  },
];
