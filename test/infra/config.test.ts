import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config.js';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 3000, publicUrl: 'http://localhost:3000' });
    expect(c.database.url).toBeUndefined();
    expect(c.database.embeddedDataDir).toMatch(/\.data\/postgres$/);
    expect(c.temporal).toMatchObject({ address: undefined, namespace: 'default', taskQueue: 'admissions', devPort: 7233, uiPort: 8233, tls: false });
    expect(Object.isFrozen(c.temporal)).toBe(true);
  });

  it('names the variable and the fix for each bad value', () => {
    const attempt = () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_TLS: 'maybe' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT="eighty": must be a number/);
      expect(problems).toMatch(/DATABASE_URL="mysql:\/\/x": must be a postgres:\/\/ URL/);
      expect(problems).toMatch(/TEMPORAL_TLS="maybe": must be true or false/);
    }
  });

  it('rejects half of an mTLS pair and credentials without an address', () => {
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'x.tmprl.cloud:7233', TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toThrow(/must be set together/);
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' })).toThrow(/TEMPORAL_ADDRESS is not/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'http://x:7233' })).toThrow(/must be host:port/);
  });

  it('turns on TLS for an API key (Temporal Cloud) and reads an existing server', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'secret' });
    expect(c.temporal).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', tls: true, apiKey: 'secret' });
  });

  it('reads a payload key (its bytes left unfrozen), the worker settings and the metrics token', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({ PAYLOAD_ENCRYPTION_KEY: key, WORKFLOW_BUNDLE_PATH: 'dist/b.js', WORKER_HTTP_PORT: '9500', METRICS_TOKEN: 'a-token-of-sixteen+' });
    expect(c.temporal.payloadKeys).toBeDefined();
    expect(c.worker).toEqual({ workflowBundlePath: expect.stringMatching(/^\/.*dist\/b\.js$/), httpPort: 9500 });
    expect(c.metricsToken).toBe('a-token-of-sixteen+');
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN="short": must be at least 16 characters/);
    // Production: /metrics is on the public port, so it must be protected.
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40) })).toThrow(/METRICS_TOKEN is required in production/);
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), METRICS_TOKEN: 'm'.repeat(20) }).metricsToken).toBe('m'.repeat(20));
  });

  it('takes a private CA and a server name for a self-hosted cluster, with or without a client certificate', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CA_PATH: '/ca.pem', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
    expect(c.temporal.tls).toEqual({ caPath: '/ca.pem', serverName: 'temporal.internal' });
    const m = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem', TEMPORAL_TLS_CA_PATH: '/ca.pem' });
    expect(m.temporal.tls).toEqual({ certPath: '/c.pem', keyPath: '/k.pem', caPath: '/ca.pem' });
    expect(() => loadConfig({ TEMPORAL_TLS_CA_PATH: '/ca.pem' })).toThrow(/TEMPORAL_ADDRESS is not/);
  });

  it('reads the TLS files when connecting, naming the variable of one it cannot read', async () => {
    const { connectClient } = await import('../../infra/temporal.js');
    await expect(connectClient({ address: '127.0.0.1:1', namespace: 'default', tls: { caPath: '/no/such/ca.pem' } })).rejects.toThrow(
      /TEMPORAL_TLS_CA_PATH=\/no\/such\/ca\.pem: cannot be read/,
    );
  });

  it('reads the write gate of the API (sign-offs at once per process), defaulting to 2 and refusing 0', () => {
    expect(loadConfig({}).http.writeConcurrency).toBe(2);
    expect(loadConfig({ API_WRITE_CONCURRENCY: '6' }).http.writeConcurrency).toBe(6);
    expect(() => loadConfig({ API_WRITE_CONCURRENCY: '0' })).toThrow(/API_WRITE_CONCURRENCY="0": must be between 1 and 64/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }).database.url).toBeUndefined();
  });
});
