export * from './auth';
export * from './batches';
export * from './deployment-status';
export * from './health';
export * from './hostnames';
export * from './products';
export * from './roles';
export * from './socket-events';
