import type { ProductCode } from './products';

export const BATCH_STATUSES = ['pending', 'active', 'paused', 'completed', 'cancelled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const BATCH_ACTIONS = ['start', 'pause', 'cancel'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

export const BATCH_COUNT_MAX = 10_000;
export const BATCH_PRIORITY_MIN = -1000;
export const BATCH_PRIORITY_MAX = 1000;

export interface BatchDto {
  id: number;
  venue: string;
  product: ProductCode;
  count: number;
  /** Hostnames handed out through this batch so far. */
  assigned: number;
  priority: number;
  status: BatchStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CreateBatchRequest {
  venue: string;
  product: ProductCode;
  count: number;
  priority?: number;
}
