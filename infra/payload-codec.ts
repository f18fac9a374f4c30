/**
 * Payload encryption: every payload the client and the worker hand to Temporal (workflow arguments,
 * update arguments and results, activity inputs and outputs, query answers) is sealed with AES-256-GCM
 * before it leaves the process, so the Temporal server and its database never hold it in the clear.
 * Workflows carry ids and dates only (names stay in Postgres); free-text reasons and decision numbers still
 * pass through, hence this layer. On when `PAYLOAD_ENCRYPTION_KEY` is set (32 bytes, base64).
 *
 * Payloads that are not sealed (histories recorded before it was turned on, the replay fixtures) are passed
 * through unchanged on decode, so turning it on needs no migration. A payload sealed under another key id
 * fails with the key id named (keep old keys in `PAYLOAD_ENCRYPTION_OLD_KEYS` while such cases live).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const { temporal } = proto; // CommonJS package: its namespace comes through the default export under Node
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface PayloadKeys {
  /** Seals new payloads. */
  readonly current: { readonly id: string; readonly key: Buffer };
  /** Opens payloads sealed under earlier keys. */
  readonly previous?: ReadonlyArray<{ readonly id: string; readonly key: Buffer }>;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(private readonly k: PayloadKeys) {
    for (const { id, key } of [k.current, ...(k.previous ?? [])]) {
      if (key.length !== 32) throw new Error(`payload key ${id} must be 32 bytes (AES-256), got ${key.length}`);
    }
    this.keys = new Map([k.current, ...(k.previous ?? [])].map(({ id, key }) => [id, key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.k.current.key, nonce);
      const sealed = Buffer.concat([nonce, cipher.update(temporal.api.common.v1.Payload.encode(p).finish()), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.k.current.id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (text(p.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return p;
      const id = text(p.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.keys.get(id);
      if (!key) throw new Error(`a payload is sealed under key id "${id}", which this process does not have (PAYLOAD_ENCRYPTION_OLD_KEYS)`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The data converter for client and worker: the codec when keys are configured, else the SDK's default. */
export function dataConverterFor(keys: PayloadKeys | undefined): DataConverter | undefined {
  return keys ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}

/** `id:base64,id:base64` (or one bare base64 key, id `k1`) → keys. */
export function parsePayloadKeys(current: string | undefined, currentId: string, previous: string | undefined): PayloadKeys | undefined {
  if (!current) return undefined;
  const old = (previous ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [id, b64] = s.includes(':') ? (s.split(':', 2) as [string, string]) : ['k0', s];
      return { id, key: Buffer.from(b64, 'base64') };
    });
  return { current: { id: currentId, key: Buffer.from(current, 'base64') }, previous: old };
}
