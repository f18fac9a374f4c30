/** A real SMTP listener for tests (the `smtp-server` package), collecting parsed messages. */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Received {
  readonly rcpt: string[];
  readonly mail: ParsedMail;
}

export interface SmtpListener {
  readonly port: number;
  readonly url: string;
  readonly received: Received[];
  stop(): Promise<void>;
  /** Listens again on the same port (after `stop`). */
  start(): Promise<void>;
}

export async function startSmtpListener(
  opts: {
    port?: number;
    refuse?: (address: string) => boolean;
    /** Runs after a message is taken and before the server answers 250 (to kill a sender in between). */
    beforeReply?: (r: Received) => Promise<void> | void;
  } = {},
): Promise<SmtpListener> {
  const received: Received[] = [];
  let server: SMTPServer | undefined;
  let port = opts.port ?? 0;
  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (opts.refuse?.(address.address)) {
          callback(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then(async (mail) => {
            const r = { rcpt: session.envelope.rcptTo.map((x) => x.address), mail };
            received.push(r);
            await opts.beforeReply?.(r);
            callback();
          })
          .catch(callback);
      },
    });
  const listener: SmtpListener = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    received,
    async start() {
      server = create();
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      port = (server.server.address() as { port: number }).port;
    },
    async stop() {
      await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
      server = undefined;
    },
  };
  await listener.start();
  return listener;
}
