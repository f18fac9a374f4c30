/** Password hashing with argon2id (@node-rs/argon2: maintained, no install script) and API token hashing. */
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export const MIN_PASSWORD_LENGTH = 12;

export const hashPassword = (password: string): Promise<string> => hash(password);

// Verified when the username is unknown, so both failures cost one argon2 verification (same timing class).
let dummyHash: Promise<string> | undefined;

/** True when `password` matches; `storedHash` undefined (unknown user) still spends the same work. */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hash(randomBytes(16).toString('hex'));
  const target = storedHash ?? (await dummyHash);
  try {
    const ok = await verify(target, password);
    return ok && storedHash !== undefined;
  } catch {
    return false;
  }
}

export function newApiToken(): { token: string; tokenHash: string } {
  const token = `adm_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashApiToken(token) };
}

/** Tokens are long random strings: a fast hash is enough (no dictionary to guess from). */
export const hashApiToken = (token: string): string => createHash('sha256').update(token).digest('hex');
