import net from 'node:net';
import type { AddressInfo } from 'node:net';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyMailError, createMailer } from '../../infra/mail.js';

/**
 * What a failed send means, on the errors nodemailer really raises: a minimal SMTP server on a socket
 * (scripted replies) lets a test end the conversation at the moment it needs to.
 */
function scriptedServer(reply: { rcpt?: string; afterData: 'drop' | '250' }): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 test ESMTP\r\n');
    let inData = false;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          // The whole message arrived: the server has it. Dropping now leaves the sender not knowing.
          if (reply.afterData === 'drop') socket.destroy();
          else socket.write('250 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO') || line.startsWith('HELO')) socket.write('250 test\r\n');
        else if (line.startsWith('MAIL')) socket.write('250 ok\r\n');
        else if (line.startsWith('RCPT')) socket.write(`${reply.rcpt ?? '250 ok'}\r\n`);
        else if (line === 'DATA') {
          inData = true;
          socket.write('354 go on\r\n');
        } else if (line === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

describe('classifyMailError on nodemailer’s own errors', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });
  const message = { to: 'a@test.local', subject: 'Thử', text: 'nội dung', html: '<p>nội dung</p>', messageId: '<e@test.local>' };
  async function failureOf(port: number): Promise<unknown> {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'btc@test.local' });
    closers.push(() => mailer.close());
    return mailer.send(message).then(
      () => undefined,
      (err: unknown) => err,
    );
  }

  it('nobody listening: retry (the message never left)', async () => {
    const err = await failureOf(await getPort({ host: '127.0.0.1' }));
    expect(err).toMatchObject({ originalCode: 'ECONNREFUSED' });
    expect(classifyMailError(err)).toBe('retry');
  });

  it('a 4xx reply: retry; a 5xx reply: permanent', async () => {
    const busy = await scriptedServer({ rcpt: '451 try again later', afterData: '250' });
    closers.push(busy.close);
    expect(classifyMailError(await failureOf(busy.port))).toBe('retry');
    const refused = await scriptedServer({ rcpt: '550 no such mailbox', afterData: '250' });
    closers.push(refused.close);
    expect(classifyMailError(await failureOf(refused.port))).toBe('permanent');
  });

  it('the connection dropped after the server had the whole message: in doubt, never sent again', async () => {
    const dropping = await scriptedServer({ afterData: 'drop' });
    closers.push(dropping.close);
    const err = await failureOf(dropping.port);
    expect(err).toBeInstanceOf(Error);
    expect(classifyMailError(err)).toBe('in-doubt');
  });

  it('sorts shapes it is given: timeouts by phase, DNS failures, anything unknown', () => {
    expect(classifyMailError(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', timeoutType: 'CONNECT_TIMEOUT' }))).toBe('retry');
    expect(classifyMailError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }))).toBe('retry');
    expect(classifyMailError(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }))).toBe('in-doubt');
    expect(classifyMailError(Object.assign(new Error('getaddrinfo'), { code: 'EDNS' }))).toBe('retry');
    expect(classifyMailError(new Error('something else'))).toBe('in-doubt');
    expect(classifyMailError(undefined)).toBe('in-doubt');
  });
});
