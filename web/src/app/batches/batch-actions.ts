import type { BatchAction, BatchStatus } from '@rpi-deploy/contracts';

/** What an operator can do with a batch in each status (the server enforces the same rules). */
export function allowedBatchActions(status: BatchStatus): BatchAction[] {
  switch (status) {
    case 'pending':
      return ['start', 'cancel'];
    case 'active':
      return ['pause', 'cancel'];
    case 'paused':
      return ['start', 'cancel'];
    default:
      return [];
  }
}
