// Django 5.1's EmailValidator (the validator of DRF's EmailField): the dot-atom or quoted-string local
// part, a dotted domain (retried in its IDNA form), `localhost`, or an IPv4/IPv6 literal in brackets;
// at most 320 characters. Regexes as Django's, with re.IGNORECASE's [A-Z] spelled out (it also matches
// ı, İ, ſ and the Kelvin sign in Python). Each is anchored and its repetitions are separated by a
// character the repeated part cannot hold, so a failed match costs linear time.
import { pyLen } from '../../python/builtins.ts';
import { IdnaError, pythonIdna } from './idna.ts';
import { isValidIPv46 } from './ip.ts';

// The characters outside ASCII that re.IGNORECASE lets match an ASCII letter range.
const IC_EXTRA = '\\u0130\\u0131\\u017f\\u212a';
const AZ = 'A-Za-z' + IC_EXTRA;
const ATOM = `[-!#$%&'*+/=?^_\`{}|~0-9${AZ}]`;
const USER_RE = new RegExp(
  `^(?:${ATOM}+(?:\\.${ATOM}+)*` + // dot-atom
    '|"(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f!#-\\[\\]-\\x7f' +
    IC_EXTRA +
    ']|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f' +
    IC_EXTRA +
    '])*")$', // quoted-string
  'u',
);
const DOMAIN_RE = new RegExp(`^(?:[${AZ}0-9](?:[${AZ}0-9-]{0,61}[${AZ}0-9])?\\.)+[${AZ}0-9-]{2,63}(?<!-)$`, 'u');
const LITERAL_RE = /^\[([A-Fa-f0-9:.]+)\]$/;
const DOMAIN_ALLOWLIST = ['localhost'];
const EMAIL_MAX_LENGTH = 320;

function validDomainPart(domain: string): boolean {
  if (DOMAIN_RE.test(domain)) return true;
  const literal = LITERAL_RE.exec(domain);
  return literal !== null && isValidIPv46(literal[1]!);
}

/** EmailValidator()(value) passes. */
export function isValidEmail(value: string): boolean {
  if (!value || !value.includes('@') || pyLen(value) > EMAIL_MAX_LENGTH) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER_RE.test(user)) return false;
  if (DOMAIN_ALLOWLIST.includes(domain) || validDomainPart(domain)) return true;
  // Try for possible IDN domain-part.
  try {
    return validDomainPart(pythonIdna(domain));
  } catch (err) {
    if (err instanceof IdnaError) return false;
    throw err;
  }
}
