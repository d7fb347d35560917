"""case vault: encrypted debtor data, access and contact logs, conduct violations, log anchors

Revision ID: 0004_case_vault
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision = "0004_case_vault"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conduct_violations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('collector', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('matched', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_conduct_violations_case_id'), 'conduct_violations', ['case_id'], unique=False)
    op.create_index(op.f('ix_conduct_violations_collector'), 'conduct_violations', ['collector'], unique=False)
    op.create_index(op.f('ix_conduct_violations_contact_id'), 'conduct_violations', ['contact_id'], unique=False)
    op.create_table('contact_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('debtor_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('collector', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('local_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('local_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note_nonce', sa.LargeBinary(length=12), nullable=True),
    sa.Column('note_ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_contact_attempts_case_id'), 'contact_attempts', ['case_id'], unique=False)
    op.create_index(op.f('ix_contact_attempts_collector'), 'contact_attempts', ['collector'], unique=False)
    op.create_index('ix_contact_attempts_debtor_day', 'contact_attempts', ['debtor_key', 'local_date'], unique=False)
    op.create_table('vault_access_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('reader', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reader_address', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('accessed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_vault_access_log_case_id'), 'vault_access_log', ['case_id'], unique=False)
    op.create_table('vault_log_anchors',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('access_from', sa.BigInteger(), nullable=False),
    sa.Column('access_to', sa.BigInteger(), nullable=False),
    sa.Column('contact_from', sa.BigInteger(), nullable=False),
    sa.Column('contact_to', sa.BigInteger(), nullable=False),
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('leaf_count', sa.Integer(), nullable=False),
    sa.Column('tree', sa.JSON(), nullable=False),
    sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('operation_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('access_from', 'contact_from', name='uq_vault_log_anchor_range')
    )
    op.create_index(op.f('ix_vault_log_anchors_root'), 'vault_log_anchors', ['root'], unique=False)
    op.create_table('vault_records',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(length=12), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('debtor_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_index(op.f('ix_vault_records_debtor_key'), 'vault_records', ['debtor_key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_vault_records_debtor_key'), table_name='vault_records')
    op.drop_table('vault_records')
    op.drop_index(op.f('ix_vault_log_anchors_root'), table_name='vault_log_anchors')
    op.drop_table('vault_log_anchors')
    op.drop_index(op.f('ix_vault_access_log_case_id'), table_name='vault_access_log')
    op.drop_table('vault_access_log')
    op.drop_index('ix_contact_attempts_debtor_day', table_name='contact_attempts')
    op.drop_index(op.f('ix_contact_attempts_collector'), table_name='contact_attempts')
    op.drop_index(op.f('ix_contact_attempts_case_id'), table_name='contact_attempts')
    op.drop_table('contact_attempts')
    op.drop_index(op.f('ix_conduct_violations_contact_id'), table_name='conduct_violations')
    op.drop_index(op.f('ix_conduct_violations_collector'), table_name='conduct_violations')
    op.drop_index(op.f('ix_conduct_violations_case_id'), table_name='conduct_violations')
    op.drop_table('conduct_violations')
