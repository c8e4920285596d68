/** What the dnsmasq hook reported, after validation (see NetbootHookBody). */
export type HookEvent =
  | {
      action: 'add' | 'old' | 'del';
      mac: string;
      ip: string;
      hostname: string | null;
      vendorClass: string | null;
      tags: string[];
    }
  | { action: 'tftp'; ip: string; bytes: number; path: string };
