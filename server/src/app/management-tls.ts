import type { LoggerService } from '@nestjs/common';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';
import type { ManagementTls } from '../config/app-config';
import { syncToDisk } from '../database/durable-files';

/** Why the management listener cannot serve HTTPS, worded for the operator. */
export class TlsSetupError extends Error {
  override name = 'TlsSetupError';
}

export interface TlsPair {
  cert: string;
  key: string;
}

/** Certificates closer to their end than this get a warning at every start. */
const EXPIRY_WARNING_DAYS = 30;

/**
 * The certificate and key for the management listener: generated once when TLS_SELF_SIGNED asks
 * for it and none exist yet, then read and checked (the key belongs to the certificate, it is
 * still valid) so a wrong file stops the start with a message instead of failing every handshake.
 */
export async function loadManagementTls(tls: ManagementTls, host: string, logger: LoggerService): Promise<TlsPair> {
  if (tls.selfSigned && !existsSync(tls.certPath) && !existsSync(tls.keyPath)) {
    await writeSelfSignedPair(tls, host);
    logger.warn?.(
      `Generated a self-signed certificate for the dashboard (${tls.certPath}); browsers will ask to trust it. ` +
        'Replace TLS_CERT and TLS_KEY with a certificate of your own CA for production.',
      'ManagementTls',
    );
  }
  const cert = readPem(tls.certPath, 'TLS_CERT');
  const key = readPem(tls.keyPath, 'TLS_KEY');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new TlsSetupError(`TLS_CERT ${tls.certPath} is not a PEM certificate (${(error as Error).message})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsSetupError(
      `TLS_KEY ${tls.keyPath} is not an unencrypted PEM private key (${(error as Error).message})`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsSetupError(
      `TLS_KEY ${tls.keyPath} does not belong to the certificate TLS_CERT ${tls.certPath}: install the matching pair`,
    );
  }
  const validTo = new Date(certificate.validTo);
  const daysLeft = (validTo.getTime() - Date.now()) / 86_400_000;
  if (daysLeft < 0) {
    logger.warn?.(
      `The dashboard certificate ${tls.certPath} expired on ${validTo.toISOString()}: renew it`,
      'ManagementTls',
    );
  } else if (daysLeft < EXPIRY_WARNING_DAYS) {
    logger.warn?.(`The dashboard certificate ${tls.certPath} expires on ${validTo.toISOString()}`, 'ManagementTls');
  }
  logger.log(
    `HTTPS with ${certificate.subject.replace(/\n/g, ', ')} (SHA-256 ${certificate.fingerprint256})`,
    'ManagementTls',
  );
  return { cert, key };
}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (or set TLS_SELF_SIGNED=true to generate a pair there)' : '';
    throw new TlsSetupError(`${setting} ${path} cannot be read: ${code ?? (error as Error).message}${hint}`);
  }
}

/** A new key and a certificate for it, valid for this machine's name, localhost and the listen address. */
export async function writeSelfSignedPair(tls: ManagementTls, host: string): Promise<void> {
  const name = hostname();
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 2, value: name },
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  if (isIP(host) && host !== '0.0.0.0' && host !== '127.0.0.1' && host !== '::') altNames.push({ type: 7, ip: host });
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  // 825 days: the longest validity browsers accept for a certificate a user chose to trust.
  notAfter.setDate(notAfter.getDate() + 825);
  const pems = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  mkdirSync(dirname(tls.keyPath), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(tls.certPath), { recursive: true });
  writeFileSync(tls.keyPath, pems.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(tls.certPath, pems.cert, { mode: 0o644, flag: 'wx' });
  // A power cut must not leave an empty key that stops every later start.
  for (const path of new Set([tls.keyPath, tls.certPath, dirname(tls.keyPath), dirname(tls.certPath)])) {
    await syncToDisk(path);
  }
}
