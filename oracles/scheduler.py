"""APScheduler wiring: one interval job per operator that calls :meth:`OracleNode.tick`.

The job store is persistent (SQLAlchemy, a SQLite file per operator in the data dir), the job is
``max_instances=1`` (the same signer never runs twice at once), ``coalesce=True`` (missed runs collapse
into one) and has a ``misfire_grace_time``. The job's callable is referenced by name
(``oracles.scheduler:run_tick``) with the operator id as its only argument, so the stored job survives a
restart; the process registers its live node under that id before the scheduler starts.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from chain import ChainError
from oracles._exceptions import OracleError
from oracles.node import OracleNode

__all__ = ["build_scheduler", "job_id", "run_tick"]

logger = logging.getLogger(__name__)

_NODES: dict[str, OracleNode] = {}


def run_tick(node_id: str) -> None:
    """The job: one step of the operator registered as ``node_id``."""
    node = _NODES.get(node_id)
    if node is None:
        logger.warning("oracle.job.no_node node_id=%s", node_id)
        return
    try:
        node.tick()
    except (OracleError, ChainError) as exc:
        logger.warning("oracle.job.failed node_id=%s error=%s", node_id, exc)


def job_id(feed_name: str, node_id: str) -> str:
    return f"valuation:{feed_name}:{node_id}"


def build_scheduler(
    node: OracleNode, *, node_id: str, job_store_url: str, tick_s: float, misfire_grace_s: int
) -> BackgroundScheduler:
    """A started scheduler running ``node``'s job every ``tick_s`` seconds (the stored job is kept if present)."""
    _NODES[node_id] = node
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=job_store_url, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_s},
        timezone=dt.UTC,
    )
    scheduler.start(paused=True)
    jid = job_id(node.feed.name, node_id)
    job = scheduler.get_job(jid)
    interval = dt.timedelta(seconds=tick_s)
    if job is None:
        scheduler.add_job(
            "oracles.scheduler:run_tick",
            "interval",
            seconds=tick_s,
            args=[node_id],
            id=jid,
            name=f"oracle {node_id} {node.feed.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=misfire_grace_s,
            next_run_time=dt.datetime.now(dt.UTC),
        )
        logger.info("oracle.job.added id=%s tick_s=%s", jid, tick_s)
    else:
        if getattr(job.trigger, "interval", None) != interval:
            scheduler.reschedule_job(jid, trigger="interval", seconds=tick_s)
        scheduler.modify_job(jid, misfire_grace_time=misfire_grace_s, max_instances=1, coalesce=True)
        logger.info("oracle.job.resumed id=%s next_run=%s", jid, job.next_run_time)
    scheduler.resume()
    return scheduler
