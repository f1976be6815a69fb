// Mail: SMTP through nodemailer with the original's EMAIL_* settings, or the log in the embedded mode.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { EmailConfig } from './config.ts';
import type { Mailer } from './context.ts';

export class LogMailer implements Mailer {
  readonly sent: Array<{ to: string; subject: string; text: string }> = [];
  constructor(private readonly log: Logger) {}
  async send(mail: { to: string; subject: string; text: string }): Promise<void> {
    this.sent.push(mail);
    this.log.info({ mail }, 'mail (embedded mode: not sent, written to the log)');
  }
}

class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  constructor(private readonly cfg: EmailConfig) {
    this.transport = nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.useSsl,
      requireTLS: cfg.useTls && !cfg.useSsl,
      auth: cfg.user ? { user: cfg.user, pass: cfg.password } : undefined,
      tls: { rejectUnauthorized: !['127.0.0.1', 'localhost'].includes(cfg.host) },
      // A request waits for its mail: bound the wait instead of nodemailer's minutes-long defaults.
      connectionTimeout: 15000,
      greetingTimeout: 15000,
      socketTimeout: 30000,
    });
  }
  async send(mail: { to: string; subject: string; text: string; from?: string }): Promise<void> {
    await this.transport.sendMail({ from: mail.from ?? this.cfg.from, to: mail.to, subject: mail.subject, text: mail.text });
  }
}

export function createMailer(cfg: EmailConfig | null, log: Logger): Mailer {
  return cfg ? new SmtpMailer(cfg) : new LogMailer(log);
}
