export * from './auth';
export * from './deployment-status';
export * from './health';
export * from './products';
export * from './roles';
export * from './socket-events';
