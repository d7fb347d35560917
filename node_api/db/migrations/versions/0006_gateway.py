"""gateway: Idempotency-Key on webhook subscriptions

Revision ID: 0006_gateway
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_gateway"
down_revision = "0001"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", _S(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_hash", _S(length=64), nullable=True))
        batch_op.create_index("uq_webhooks_idempotency", ["institution", "idempotency_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index("uq_webhooks_idempotency")
        batch_op.drop_column("request_hash")
        batch_op.drop_column("idempotency_key")
