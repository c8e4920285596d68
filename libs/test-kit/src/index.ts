/**
 * What the workspace's tests, benchmarks and demo share: Raspberry-Pi-OS-shaped disk images and
 * the tools to look into them, free ports, polling, nginx in front of a server, and uploads.
 * Production code never imports it (the lint rule in eslint.config.mjs refuses it).
 */
export * from './disk-image/block-map';
export * from './disk-image/compress-image';
export * from './disk-image/disk-image-files';
export * from './disk-image/image-versions';
export * from './disk-image/pi-os-image';
export * from './disk-image/reference-card';
export * from './disk-image/run-tool';
export * from './disk-image/system-files';
export * from './network/free-port';
export * from './network/nginx';
export * from './network/s3-server';
export * from './network/upload';
export * from './network/wait-for';
export * from './runtime/zstd-node';
export * from './workspace-root';
