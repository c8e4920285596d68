/**
 * The workspace's shared disk-image fixtures (infra/test/fixtures, also used by the server's
 * image tests) and its free-port helper (infra/test/support). They belong to no Nx project, and the module-boundary rule refuses imports of
 * such files by relative path; re-exports pass, so this is the one place the installer's tests
 * reach them.
 */
export * from '../../../infra/test/fixtures/block-map';
export * from '../../../infra/test/fixtures/compress-image';
export * from '../../../infra/test/fixtures/disk-image-files';
export * from '../../../infra/test/fixtures/pi-os-image';
export * from '../../../infra/test/support/free-port';
