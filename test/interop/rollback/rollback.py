#!/usr/bin/python3
"""The Django side of test/interop/django-rollback.test.ts (rollback safety: Django takes the database
back from csi-chat). On the Postgres of DATABASE_URL:
  rollback.py validate          every row of every table loaded through the models, full_clean() on each
  rollback.py check-passwords   stdin [{"email", "password"}]: Django's check_password on the stored hash
  rollback.py sessions          every django_session row decoded by Django's session code with SECRET_KEY,
                                and the user it logs in (the _auth_user_hash check of django.contrib.auth)
  rollback.py write             rows written with the ORM (a user with a Django hash, a token, a room
                                membership, a message and a reply, a mention, a read status, a notification)
Prints one JSON object on stdout.
"""
import binascii
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'csi_rollback.settings')

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import check_password, identify_hasher, make_password  # noqa: E402
from django.contrib.sessions.backends.base import SessionBase  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import constant_time_compare, salted_hmac  # noqa: E402

from csi_rollback.models import MODELS  # noqa: E402

ROWS_PER_TABLE = 20000


def validate():
    tables = {}
    for model in MODELS.values():
        count, invalid = 0, []
        for obj in model.objects.order_by('pk')[:ROWS_PER_TABLE]:
            count += 1
            try:
                obj.full_clean()
            except ValidationError as err:
                invalid.append({'pk': str(obj.pk), 'errors': {k: [str(m) for m in v] for k, v in err.message_dict.items()}})
        tables[model._meta.db_table] = {'rows': count, 'invalid': invalid}
    return {'tables': tables}


def check_passwords(entries):
    User = MODELS['UserUser']
    results = []
    for e in entries:
        user = User.objects.get(email=e['email'])
        results.append({
            'email': e['email'],
            'ok': check_password(e['password'], user.password),
            'wrong_ok': check_password(e['password'] + 'x', user.password),
            'algorithm': identify_hasher(user.password).algorithm,
        })
    return {'results': results}


class SessionStore(SessionBase):
    """The decoding half of django.contrib.sessions.backends.db.SessionStore: same class name, so the same
    signing salt ("django.contrib.sessions.SessionStore"); the db backend's model needs the sessions app,
    which these settings leave out (the table is loaded through the generated models instead)."""


def sessions():
    User = MODELS['UserUser']
    out = []
    for row in MODELS['DjangoSession'].objects.order_by('session_key'):
        data = SessionStore().decode(row.session_data)
        user_id = data.get('_auth_user_id')
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None
        # django.contrib.auth.get_user(): the session's hash must equal AbstractBaseUser.get_session_auth_hash().
        expected = (
            salted_hmac('django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash', user.password, algorithm='sha256').hexdigest()
            if user is not None
            else None
        )
        out.append({
            'session_key': row.session_key,
            'decoded': bool(data),
            'user_id': user_id,
            'backend': data.get('_auth_user_backend'),
            'user_ok': expected is not None and constant_time_compare(data.get('_auth_user_hash', ''), expected),
        })
    return {'sessions': out}


def write():
    m = MODELS
    now = timezone.now()
    password = 'Django#Rollback1'
    with transaction.atomic():
        user = m['UserUser'].objects.create(
            password=make_password(password), is_superuser=False, email='django.orm@akgec.ac.in', first_name='Dj',
            last_name='Ango', role='member', year='2nd', status='active', is_staff=False, is_active=True,
            created_at=now, updated_at=now, is_verified=True, is_completed=True, hosteller=False,
        )
        token = m['AuthtokenToken'].objects.create(key=binascii.hexlify(os.urandom(20)).decode(), user=user, created=now)
        room = m['ChatRoom'].objects.get(pk=1)
        m['ChatRoomMembers'].objects.create(room=room, user=user)
        parent = m['ChatMessage'].objects.filter(room=room).order_by('-pk').first()
        message = m['ChatMessage'].objects.create(
            message_type='text', content='written by the Django ORM', reactions={'👍': [user.pk]}, is_deleted=False,
            is_edited=False, status={}, created_at=now, updated_at=now, sender=user, room=room, is_pinned=False,
        )
        reply = m['ChatMessage'].objects.create(
            message_type='text', content='a Django reply', is_deleted=False, is_edited=False, status={}, created_at=now,
            updated_at=now, sender=user, room=room, is_pinned=False, parent_message=parent,
        )
        kabir = m['UserUser'].objects.get(email='kabir.singh@akgec.ac.in')
        m['ChatMessageMentions'].objects.create(message=reply, user=kabir)
        m['ChatUserroomstatus'].objects.create(room=room, user=user, last_read=now)
        notification = m['NotificationNotification'].objects.create(
            message='written by the Django ORM', created_at=now, event_type='chat_mention', user=user, is_read=False, updated_at=now,
        )
    return {
        'user': {'id': user.pk, 'email': user.email, 'password': password},
        'token': token.key,
        'room': room.pk,
        'message': message.pk,
        'reply': {'id': reply.pk, 'parent': parent.pk if parent else None},
        'notification': notification.pk,
    }


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ''
    if command == 'validate':
        out = validate()
    elif command == 'check-passwords':
        out = check_passwords(json.load(sys.stdin))
    elif command == 'sessions':
        out = sessions()
    elif command == 'write':
        out = write()
    else:
        print('usage: rollback.py validate | check-passwords | sessions | write', file=sys.stderr)
        sys.exit(2)
    out['django'] = django.get_version()
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
