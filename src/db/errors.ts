// Telling "the database is unreachable right now" from a bug: the former is answered 503 (REST),
// a refused handshake (503) or an error frame, and the pool reconnects by itself once Postgres is back.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect
// now) and 57014 (statement_timeout: the database is too slow to answer in time, src/db/index.ts)
const SQLSTATE = /^(08\d{3}|57P0[123]|57014)$/;
// "Query read timeout": the driver's own bound on an answer (a link that stopped delivering); "timeout
// expired": pg.Client's connectionTimeoutMillis on a link that accepts and never answers (a black hole).
const MESSAGES = /Connection terminated|Query read timeout|^timeout expired$|timeout exceeded when trying to connect|Knex: Timeout acquiring a connection|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
    if (e.name === 'KnexTimeoutError') return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  }
  return false;
}
