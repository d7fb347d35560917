"""evidence: documents/digests and their anchored batches

Revision ID: 0002_evidence
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_evidence"
down_revision = "0001"
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", _S(length=40), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("submitter", _S(length=42), nullable=False),
        sa.Column("idempotency_key", _S(length=220), nullable=False),
        sa.Column("digest", _S(length=66), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("store", _S(length=16), nullable=False),
        sa.Column("cid", _S(length=128), nullable=True),
        sa.Column("filename", _S(length=255), nullable=True),
        sa.Column("media_type", _S(length=127), nullable=True),
        sa.Column("case_ref", _S(length=200), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("status", _S(length=16), nullable=False),
        sa.Column("batch_id", _S(length=40), nullable=True),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("institution", "idempotency_key", name="uq_evidence_idempotency"),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_items_digest"), ["digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_items_case_ref"), ["case_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_items_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_evidence_items_queue", ["status", "institution", "created_at"], unique=False)

    op.create_table(
        "evidence_batches",
        sa.Column("id", _S(length=40), nullable=False),
        sa.Column("institution", _S(length=64), nullable=False),
        sa.Column("submitter", _S(length=42), nullable=False),
        sa.Column("root", _S(length=66), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("meta_digest", _S(length=66), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("tree", sa.JSON(), nullable=False),
        sa.Column("operation_id", _S(length=36), nullable=True),
        sa.Column("status", _S(length=16), nullable=False),
        sa.Column("tx_hash", _S(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_time", sa.BigInteger(), nullable=True),
        sa.Column("member_name_digest", _S(length=66), nullable=True),
        sa.Column("error", _S(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("anchored_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_batches_institution"), ["institution"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_batches_root"), ["root"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_batches_operation_id"), ["operation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_batches_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("evidence_batches")
    op.drop_table("evidence_items")
