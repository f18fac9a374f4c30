/** Connection and client factories: one connection per process, shared by every request. */
import { readFile } from 'node:fs/promises';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from './config.js';

export interface TemporalTarget {
  readonly address: string;
  readonly namespace: string;
  readonly tls?: Config['temporal']['tls'];
  readonly apiKey?: string | undefined;
}

async function tlsOptions(tls: TemporalTarget['tls']): Promise<ConnectionOptions['tls']> {
  if (!tls) return undefined;
  if (tls === true) return true;
  const [crt, key] = await Promise.all([readFile(tls.certPath), readFile(tls.keyPath)]);
  return { clientCertPair: { crt, key } };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: target.address,
    tls: await tlsOptions(target.tls),
    ...(target.apiKey ? { apiKey: target.apiKey } : {}),
  });
  return new Client({ connection, namespace: target.namespace });
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
