"""Every table of db/schema.sql as an unmanaged Django model (schema_models.py)."""
import json
import os

from .schema_models import build_models

_SCHEMA = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'db', 'schema.sql')
with open(os.environ.get('CSI_SCHEMA_SQL', _SCHEMA), encoding='utf-8') as f:
    MODELS = build_models(f.read(), 'csi_rollback', __name__, json.loads(os.environ.get('CSI_FIELD_OVERLAYS', '{}')))
globals().update(MODELS)
