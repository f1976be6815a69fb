// Group fan-out in two explicit steps. An event that reaches this process is RENDERED ONCE — its keys
// checked, its frame bytes built (possibly after a lookup) — and the result is shared by every local
// socket of the group; each recipient then only PICKS among the prepared frames (is_self, the typist
// skipping itself). Each kind of group declares its event types in one table (`EventTable`): what an
// event must carry, how it renders, what a recipient gets. Adding an event type is one entry.
import type { AppContext } from '../context.ts';
import type { LayerMessage } from '../layers/types.ts';
import type { Frame, Outgoing } from './socket.ts';

/** Who a frame is picked for. */
export interface Recipient {
  readonly userId: number;
}

/** One event type of a group. Method syntax on purpose: a table holds entries of different E and P. */
export interface GroupEventType<E extends LayerMessage, P> {
  /** Keys the original consumer's handler indexes; without them the event is dropped (Django's would raise). */
  readonly required: readonly (keyof E & string)[];
  /** Keys that must hold a JSON object. */
  readonly objects?: readonly (keyof E & string)[];
  /** Once per event and process; null means no frame for anyone. */
  render(event: E, ctx: AppContext): P | null | Promise<P | null>;
  /** Per recipient: the frame to write, or null. */
  pick(prepared: P, event: E, recipient: Recipient): Frame | null;
  /** The frame's JSON Schema and a summary, for the AsyncAPI document (src/apidocs/). */
  readonly doc?: { readonly summary: string; readonly frame: { [key: string]: unknown } };
}

/** An entry of an event table as the fan-out sees it: any layer message, any prepared value. */
type TableEntry = GroupEventType<LayerMessage, unknown>;

export type EventTable = Readonly<Record<string, TableEntry>>;

/**
 * Declares one event type, checked against its own event shape E and prepared shape P. The fan-out calls
 * `render` only for a message of this type that carries the `required` keys (and `objects` as objects) —
 * the same guarantee the original consumer's handlers rely on when they index the event — and `pick`
 * only with what `render` returned; that is what makes the widening to a table entry sound.
 */
export function eventType<E extends LayerMessage, P>(spec: GroupEventType<E, P>): TableEntry {
  return spec as unknown as TableEntry;
}

interface Rendered {
  readonly type: TableEntry;
  readonly value: unknown;
}

const isPromise = (v: unknown): v is Promise<unknown> => v instanceof Promise;

/**
 * The render-once step, a per-process service of the application context. A layer delivers one message
 * object to every local channel of a group_send, so the rendered result is keyed by that object and
 * collected with it.
 */
export class GroupRenderer {
  private readonly rendered = new WeakMap<LayerMessage, Rendered | null>();

  /** The frame `recipient` gets for `m` under `table` (a promise when rendering waits on a lookup). */
  frameFor(ctx: AppContext, m: LayerMessage, table: EventTable, recipient: Recipient): Outgoing | null {
    let r = this.rendered.get(m);
    if (r === undefined) {
      r = this.render(ctx, m, table);
      this.rendered.set(m, r);
    }
    if (r === null) return null;
    const { type, value } = r;
    if (value === null) return null;
    if (isPromise(value)) return value.then((v) => (v === null ? null : type.pick(v, m, recipient)));
    return type.pick(value, m, recipient);
  }

  private render(ctx: AppContext, m: LayerMessage, table: EventTable): Rendered | null {
    const type = Object.hasOwn(table, m.type) ? table[m.type] : undefined;
    if (!type) {
      ctx.log.debug({ type: m.type }, 'ignored an event of a type this group does not handle');
      return null;
    }
    const missing = type.required.some((k) => m[k] === undefined);
    const notObject = (type.objects ?? []).some((k) => typeof m[k] !== 'object' || m[k] === null);
    if (missing || notObject) {
      ctx.log.warn({ type: m.type }, 'dropped an event without its required keys');
      return null;
    }
    let value: unknown;
    try {
      value = type.render(m, ctx);
    } catch (err) {
      // A malformed event (e.g. from another process) must not take a socket down.
      ctx.log.warn({ err, type: m.type }, 'dropped an event it could not render');
      return null;
    }
    if (isPromise(value)) {
      value = value.catch((err: unknown) => {
        ctx.log.warn({ err, type: m.type }, 'could not render an event');
        return null;
      });
    }
    return { type, value };
  }
}
