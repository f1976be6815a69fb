# One-off generator of the WebSocket variants (issue #4); the JSON files it writes are what the suite reads.
import json, copy
G = '/work/main/fixtures/golden/'
V = '/work/main/contract-tests/variants/'

def load(n): return json.load(open(G + n + '.json'))
def save(d): 
    with open(V + d['name'] + '.json', 'w') as f: json.dump(d, f, indent=1, ensure_ascii=False); f.write('\n')
def pyd(o): return json.dumps(o)  # Python json.dumps defaults = the frames' bytes
def drf(o): return json.dumps(o, separators=(',', ':'), ensure_ascii=False)
def marker(div, note): return {"divergence": div, "note": note}
def refused(client, path, div): return {"ws_connect": {"client": client, "path": path}, "expect": {"accepted": False, "status": 403}, "divergence": div}
def send(client, text, div): return {"ws_send": {"client": client, "text": text}, "divergence": div}
def expect(client, wait, frames, div):
    return {"ws_expect": {"client": client, "wait_ms": wait, "frames": frames, "frames_raw": [pyd(f) for f in frames]}, "divergence": div}

# --- handshake refusals -------------------------------------------------------------------------
D = 'ws-handshake-auth-403'
d = load('ws_connect_without_token'); s = d['steps']
s[0] = refused('anon', '/ws/chat/1/', D)
s[3] = marker(D, 'anon was refused: it receives nothing')
for i in (5, 6, 8, 9, 11, 12): s[i] = marker(D, 'anon was refused: it cannot send')
s[10] = marker(D, 'no anonymous reaction, so no reacted broadcast')
s += [refused('bad', '/ws/chat/1/?token=0000000000000000000000000000000000000000', D),
      refused('blank', '/ws/chat/1/?token=', D)]
d['description'] = 'csi-chat: a chat socket without a token, with an unknown token or a blank one is refused at the handshake (403); members see nothing of it.'
save(d)

D = 'ws-non-member-403'
d = load('ws_non_member'); s = d['steps']
s[0] = refused('d', '/ws/chat/1/?token=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef', D)
for i in (3, 5, 6): s[i] = marker(D, 'the non-member was refused at the handshake')
d['description'] = 'csi-chat: a non-member (dev) is refused at the handshake (403); members keep chatting.'
save(d)

D = 'ws-unknown-inactive-room-403'
d = load('ws_rooms_unknown_inactive_badpath'); s = d['steps']
s[0] = refused('u', '/ws/chat/999/?token=0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c', D)
s[1] = marker(D, 'refused'); s[2] = marker(D, 'refused')
s[3] = refused('i', '/ws/chat/4/?token=9f2c1a7b3e4d5f60718293a4b5c6d7e8f9a0b1c2', D)
s[4] = marker(D, 'refused'); s[5] = marker(D, 'refused')
d['description'] = 'csi-chat: unknown room and inactive room refused at the handshake (403); non-numeric room path and missing slash have no route (500, as the original).'
save(d)

# --- cross-room actions -------------------------------------------------------------------------
D = 'ws-cross-room-messages'
def cross(name, sender, others, text, error, before_http=True, note=None):
    d = load(name); s = d['steps']
    at = next((i for i, st in enumerate(s) if 'http' in st), len(s))
    first = True
    block = [send(sender, text, D)]
    clients = [c for c in others]  # connect order
    for c in clients:
        block.append(expect(c, 300 if first else 1, [{"error": error}] if c == sender else [], D)); first = False
    s[at:at] = block
    save(d)

cross('ws_edit_message', 'a', ['a', 'b'], '{"action":"edit_message","message_id":24,"new_content":"moved rooms"}', 'Editing failed.')
cross('ws_delete_message', 'b', ['a', 'b'], '{"action":"delete_message","message_id":24}', 'Deletion failed.')
cross('ws_react_message', 'a', ['a', 'b'], '{"action":"react_message","message_id":23,"reaction":"\U0001F44D"}', 'Reaction failed; message not found.')
cross('ws_pin_message', 'a', ['a', 'b'], '{"action":"pin_message","message_id":24}', 'Pin/unpin failed (maybe no permission or limit reached).')

# replies: a parent in another room is "Parent message does not exist"; nothing is stored
d = load('ws_reply_parent_message'); s = d['steps']
s[6] = expect('a', 300, [], D)
s[7] = expect('b', 1, [{"error": "Parent message does not exist"}], D)
h = copy.deepcopy(s[11]); h['divergence'] = D
h['http']['path'] = '/api/chat/groups/1/messages/?page_size=1'
body = h['expect']['body']
body['count'] = 23
body['next'] = 'http://127.0.0.1:8000/api/chat/groups/1/messages/?page=2&page_size=1'
body['results'] = [r for r in body['results'] if r['id'] == 32]
h['expect']['body_text'] = drf(body)
s[11] = h
d['description'] = 'csi-chat: a reply carries parent_message; a parent in another room or an unknown parent is an error to the sender only, nothing stored.'
save(d)

# --- mentions only notify members ---------------------------------------------------------------
D = 'ws-mentions-members-only'
d = load('ws_mentions_notifications'); s = d['steps']
s[7] = expect('nd', 1, [], D)
d['description'] = 'csi-chat: mentions [meera, tanya, self, dev(non-member), 999]: chat_mention notifications only for mentioned members other than the sender.'
save(d)

# --- protocol errors answered, socket kept ------------------------------------------------------
D = 'ws-error-frame-instead-of-1011'
d = load('ws_protocol_errors'); s = d['steps']
cases = [
    ('[1, 2]', 'Expected a JSON object.'),
    ('"just a string"', 'Expected a JSON object.'),
    ('42', 'Expected a JSON object.'),
    ('{"message":42}', "'message' must be a string."),
    ('{"message":"x","mentions":"4"}', "'mentions' must be a list of user ids."),
    ('{"action":"edit_message","message_id":"abc","new_content":"x"}', "'message_id' must be an integer."),
    ('{"action":"react_message","message_id":12,"reaction":5}', "'reaction' must be a string of at most 64 characters."),
    ('{"action":"pin_message","message_id":22,"pin":"yes"}', "'pin' must be true or false."),
    ('{"action":7}', "'action' must be a string."),
]
block = []
for text, err in cases:
    block += [send('a', text, D), expect('a', 300, [{"error": err}], D), expect('b', 1, [], D)]
s[11:11] = block
d['description'] = 'Invalid JSON, unknown action, missing message; csi-chat also answers arrays, scalars and wrong field types with an error frame and keeps the socket open.'
save(d)
