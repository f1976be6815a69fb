// A group event's frame as the bytes a server puts on the wire, built ONCE per process for every socket that
// gets it (the render-once step of fanout.ts, carried down to the framing). A server's text frame is the
// same for every recipient — FIN + text opcode, the payload length, the unmasked payload (RFC 6455 §5.2) —
// so ManagedSocket writes it to each socket in one write, instead of ws framing the same payload again per
// socket (a header allocated, two writes and a cork/uncork per frame: 15 % of a fan-out's busy time,
// bench/results.md). The bytes are the ones ws writes for `ws.send(payload, { binary: false })` without
// permessage-deflate (test/realtime/wire.test.ts compares them).

/** A text frame: its payload (UTF-8) and the frame bytes (header + payload; `payload` is a view into them). */
export class WireText {
  readonly wire: Buffer;
  readonly payload: Buffer;

  constructor(text: string | Buffer) {
    const length = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const wire = Buffer.allocUnsafe(head + length);
    wire[0] = 0x81; // FIN, opcode 1 (text); RSV bits clear (no extension)
    if (head === 2) {
      wire[1] = length;
    } else if (head === 4) {
      wire[1] = 126;
      wire.writeUInt16BE(length, 2);
    } else {
      wire[1] = 127;
      wire.writeBigUInt64BE(BigInt(length), 2);
    }
    if (typeof text === 'string') wire.write(text, head, 'utf8');
    else text.copy(wire, head);
    this.wire = wire;
    this.payload = wire.subarray(head);
  }
}
