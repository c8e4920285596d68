import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@rpi-deploy/test-kit';
import { spawnServer, type ServerProcess } from './server-process';

export const CLUSTER_ADMIN_PASSWORD = 'cluster-admin-password';
export const CLUSTER_START_TIMEOUT_MS = 90_000;

export interface Instance extends ServerProcess {
  name: 'A' | 'B';
  dataDir: string;
}

export interface Cluster {
  instances: [Instance, Instance];
  /** Alternates between the instances, as a round-robin load balancer would. */
  next(): Instance;
  stop(): Promise<void>;
}

/**
 * Two real server processes (the built dist/server/main.js) on ONE PostgreSQL database, each
 * with its own DATA_DIR and ports, started at the same moment: separate processes, so killing
 * one is a real crash and nothing is shared but the database.
 */
export async function startCluster(databaseUrl: string, env: Record<string, string> = {}): Promise<Cluster> {
  const start = async (name: 'A' | 'B'): Promise<Instance> => {
    const dataDir = mkdtempSync(join(tmpdir(), `cluster-${name}-`));
    const ports = { management: await freePort(), deployment: await freePort() };
    const server = await spawnServer(
      { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD, ...env },
      ports,
      // Two processes (three while one sweeps) boot at once on machines shared with other work.
      CLUSTER_START_TIMEOUT_MS,
    );
    return Object.assign(server, { name, dataDir });
  };
  const instances = (await Promise.all([start('A'), start('B')])) as [Instance, Instance];
  let turn = 0;
  return {
    instances,
    next: () => instances[turn++ % 2]!,
    async stop() {
      for (const instance of instances) {
        if (instance.child.exitCode === null) instance.child.kill('SIGTERM');
        await instance.exited;
        rmSync(instance.dataDir, { recursive: true, force: true });
      }
    },
  };
}
