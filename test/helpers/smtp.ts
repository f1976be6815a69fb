// An in-process SMTP server (smtp-server) whose mails the tests parse and assert on.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  raw: string;
}

/** Decodes what nodemailer writes for a text/plain mail: headers, RFC 2047 subject, QP/base64 body. */
function parseMail(raw: string): { subject: string; text: string; headers: Record<string, string> } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const bodyRaw = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const subject = (headers.subject ?? '').replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
  );
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let text: string;
  if (cte === 'quoted-printable') text = decodeQp(bodyRaw);
  else if (cte === 'base64') text = Buffer.from(bodyRaw.replace(/\s+/g, ''), 'base64').toString('utf8');
  else text = bodyRaw;
  return { subject, text: text.replace(/\r\n/g, '\n').replace(/\n$/, ''), headers };
}

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export class TestSmtp {
  readonly mails: ReceivedMail[] = [];
  /** When set, every message is refused with this SMTP error. */
  refuse: string | null = null;
  private server: SMTPServer;
  port = 0;
  private waiters: Array<() => void> = [];

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.refuse) {
            const err = Object.assign(new Error(this.refuse), { responseCode: 554 });
            return cb(err);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = parseMail(raw);
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject,
            text: parsed.text,
            raw,
          });
          for (const w of this.waiters.splice(0)) w();
          cb();
        });
      },
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  env(): Record<string, string> {
    return { EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(this.port), EMAIL_USE_TLS: 'false', DEFAULT_FROM_EMAIL: 'csi@akgec.ac.in' };
  }

  /** The mails sent to one address, newest last. */
  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.includes(address));
  }

  clear(): void {
    this.mails.length = 0;
    this.refuse = null;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
