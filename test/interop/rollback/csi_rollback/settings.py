"""Settings of the rollback check: the Postgres of DATABASE_URL, the original's time zone and hashers."""
import os
from urllib.parse import unquote, urlsplit

_db = urlsplit(os.environ['DATABASE_URL'])
SECRET_KEY = os.environ.get('SECRET_KEY', 'csi-chat-rollback-test')
DEBUG = False
USE_TZ = True
TIME_ZONE = 'Asia/Kolkata'
INSTALLED_APPS = ['csi_rollback']
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': unquote(_db.path.lstrip('/')),
        'USER': unquote(_db.username or ''),
        'PASSWORD': unquote(_db.password or ''),
        'HOST': _db.hostname or '',
        'PORT': str(_db.port or ''),
    }
}
# Django 5.1's default list less ScryptPasswordHasher (Django 4.0+); Argon2 and bcrypt need their Python
# packages and are not what csi-chat writes.
PASSWORD_HASHERS = [
    'django.contrib.auth.hashers.PBKDF2PasswordHasher',
    'django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher',
    'django.contrib.auth.hashers.Argon2PasswordHasher',
    'django.contrib.auth.hashers.BCryptSHA256PasswordHasher',
]
