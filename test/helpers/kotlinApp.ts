// The 2025 Android app's view of three server answers (docs/kotlin-client-contract.md §2.2, §3.3), as a
// small Kotlin-shaped fixture: each class's keys with their declared type and nullability, and a reader
// that does what Gson (a default instance, Kotlin nullability ignored) and the Kotlin code after it do
// with a JSON value. It answers with the app's crashes (an exception the app does not catch) and its
// cosmetic faults (a null shown as the text "null"), so a test can say "this answer crashes the app".
//
//   String   — used as a non-null String (a Compose Text, a data-class constructor): null/missing → crash (F3)
//   String?  — null-checked; null is fine
//   Shown    — a String interpolated into text: null shows "null" (no crash)
//   Int?     — a nullable number: integral numbers and numeric strings read; fractions/objects throw (F4)
//   Boolean  — a JVM primitive: missing → false
//   a class  — an object or null; any other JSON type throws at parse time (F4); `required` = used non-null (F3)

type Scalar = 'String' | 'String?' | 'Shown' | 'Int?' | 'Boolean' | 'Any?';

export interface KClass {
  readonly name: string;
  readonly fields: Readonly<Record<string, KType>>;
}

export type KType = Scalar | { readonly cls: KClass; readonly required: boolean } | { readonly listOf: KType };

const obj = (cls: KClass, required: boolean) => ({ cls, required });

/** Parent preview of a reply, in REST history and socket frames (§2.2 #7, §3.3). */
const ParentMessage: KClass = {
  name: 'ParentMessage',
  fields: {
    id: 'Int?',
    content: 'String',
    created_at: 'String?',
    sender: obj({ name: 'ParentSender', fields: { id: 'Int?', name: 'String', photo: 'String?' } }, false),
  },
};

/** `chatMessages`: every chat socket frame (§3.3); a new-message frame goes through the bubble conversion. */
export const ChatFrame: KClass = {
  name: 'chatMessages',
  fields: {
    action: 'String?',
    is_typing: 'Any?',
    sender: obj({ name: 'Sender', fields: { id: 'Int?', name: 'Shown', photo: 'String?', role: 'String?' } }, true),
    message: 'String',
    id: 'Int?',
    is_self: 'Boolean',
    created_at: 'String',
    message_type: 'String?',
    room: 'Int?',
    attachment: 'Any?',
    new_content: 'String?',
    parent_message: obj(ParentMessage, false),
  },
};

/** `oldChatMessage`: one item of the history's `results` (§2.2 #7). */
const HistoryMessage: KClass = {
  name: 'oldChatMessage',
  fields: {
    id: 'Int?',
    content: 'String',
    sender: obj(
      { name: 'SenderX', fields: { id: 'Int?', first_name: 'Shown', last_name: 'String?', photo: 'String?', role: 'String?', year: 'String?' } },
      true,
    ),
    is_self: 'Boolean',
    parent_message: obj(ParentMessage, false),
    reactions: obj({ name: 'Reactions', fields: {} }, false),
    status: obj({ name: 'Status', fields: {} }, false),
    mentions: { listOf: 'Int?' },
    created_at: 'String?',
    updated_at: 'String?',
  },
};

/** `oldMessagesResponse`: the history page (only `results` is read). */
export const HistoryPage: KClass = { name: 'oldMessagesResponse', fields: { results: { listOf: obj(HistoryMessage, true) } } };

/** `profileData`: profile/detail/ (§2.2 #14); `fillYourDetailsResponse` of profile/fill/ has the same domain. */
export const ProfileData: KClass = {
  name: 'profileData',
  fields: {
    full_name: 'String',
    year: 'String',
    branch: 'String',
    dob: 'String',
    domain: obj({ name: 'Domain', fields: { id: 'Int?', name: 'String?' } }, false),
    photo: 'String?',
    bio: 'String?',
    achievements: 'String?',
    github_url: 'String?',
    linkedin_url: 'String?',
  },
};

export interface AppReading {
  /** Where the app throws, e.g. "chatMessages.message: null in a non-null String". */
  crashes: string[];
  /** Where it shows the text "null". */
  showsNull: string[];
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Reads `value` as the app reads an instance of `cls`. */
export function readAsApp(cls: KClass, value: unknown): AppReading {
  const out: AppReading = { crashes: [], showsNull: [] };
  readType(obj(cls, true), value, cls.name, out);
  return out;
}

function readType(t: KType, v: unknown, at: string, out: AppReading): void {
  if (typeof t === 'string') return readScalar(t, v, at, out);
  if ('listOf' in t) {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) return void out.crashes.push(`${at}: ${typeOf(v)} where a list is declared`);
    v.forEach((item, i) => readType(t.listOf, item, `${at}[${i}]`, out));
    return;
  }
  if (v === null || v === undefined) {
    if (t.required) out.crashes.push(`${at}: null in a non-null ${t.cls.name}`);
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) return void out.crashes.push(`${at}: ${typeOf(v)} where ${t.cls.name} (an object) is declared`);
  const o = v as Record<string, unknown>;
  for (const [key, ft] of Object.entries(t.cls.fields)) readType(ft, o[key], `${at}.${key}`, out);
}

function readScalar(t: Scalar, v: unknown, at: string, out: AppReading): void {
  const kind = typeOf(v);
  if (t === 'Any?' || t === 'Boolean') {
    if (t === 'Boolean' && (kind === 'object' || kind === 'array')) out.crashes.push(`${at}: ${kind} where a Boolean is declared`);
    return;
  }
  if (kind === 'object' || kind === 'array') return void out.crashes.push(`${at}: ${kind} where ${t === 'Int?' ? 'an Int' : 'a String'} is declared`);
  if (t === 'Int?') {
    if (kind === 'number' && !Number.isInteger(v)) out.crashes.push(`${at}: fractional number where an Int is declared`);
    if (kind === 'string' && !/^-?\d+(\.0*)?$/.test(v as string)) out.crashes.push(`${at}: non-numeric string where an Int is declared`);
    return;
  }
  if (kind === 'null' || kind === 'undefined') {
    if (t === 'String') out.crashes.push(`${at}: null in a non-null String`);
    if (t === 'Shown') out.showsNull.push(at);
  }
}
