/** Connection and client factories: one connection per process, shared by every request. */
import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from './config.js';
import { dataConverterFor, type PayloadKeys } from './payload-codec.js';

export interface TemporalTarget {
  readonly address: string;
  readonly namespace: string;
  readonly tls?: Config['temporal']['tls'];
  readonly apiKey?: string | undefined;
  /** Payload encryption keys (see payload-codec.ts); the worker must be given the same. */
  readonly payloadKeys?: PayloadKeys | undefined;
}

async function tlsOptions(tls: TemporalTarget['tls']): Promise<ConnectionOptions['tls']> {
  if (!tls) return undefined;
  if (tls === true) return true;
  const read = (what: string, file: string) =>
    readFile(file).catch((err: Error) => {
      throw new Error(`${what}=${file}: cannot be read (${err.message})`);
    });
  return {
    ...(tls.certPath && tls.keyPath
      ? { clientCertPair: { crt: await read('TEMPORAL_TLS_CERT_PATH', tls.certPath), key: await read('TEMPORAL_TLS_KEY_PATH', tls.keyPath) } }
      : {}),
    ...(tls.caPath ? { serverRootCACertificate: await read('TEMPORAL_TLS_CA_PATH', tls.caPath) } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: target.address,
    tls: await tlsOptions(target.tls),
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  });
  const dataConverter = dataConverterFor(target.payloadKeys);
  return new Client({ connection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}) });
}

export async function connectWorkerConnection(target: TemporalTarget): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: target.address,
    tls: (await tlsOptions(target.tls)) as NativeConnectionOptions['tls'],
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  };
  return NativeConnection.connect(options);
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; keep its console output to warnings unless asked. */
export function installRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // already installed by the caller's process: keep theirs
  }
}

/**
 * Registers the workflows' search attributes on a self-hosted server (idempotent). Temporal Cloud refuses
 * this call: there, add them once in the namespace settings (the error says so).
 */
export async function ensureSearchAttributes(client: Client, namespace: string, attributes: Record<string, string>): Promise<void> {
  const { temporal } = (await import('@temporalio/proto')).default;
  const type = temporal.api.enums.v1.IndexedValueType;
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(attributes).filter(([name]) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, t]) => [name, type[`INDEXED_VALUE_TYPE_${t.toUpperCase()}` as keyof typeof type]])),
    });
  } catch (err) {
    throw new Error(
      `Could not register the search attributes ${missing.map(([n]) => n).join(', ')} on namespace ${namespace}: ${(err as Error).message}. ` +
        'Register them as Keyword in the namespace settings (Temporal Cloud: tcld namespace search-attributes add).',
      { cause: err },
    );
  }
}
