"""The auditor's replay: rebuild every Recourse contract's state from its events, alone, and prove it matches.

Given only a JSON-RPC URL and the deployments file, the replay pages every event of every Recourse contract
(and of the contracts their factories created) from the deployment block to a target block, checking that the
stream is whole (keys strictly increase, block hashes chain up, every page answers its range); folds them through
the same pure reducers the gateway's projections use (``chain.reducers``); compares the rebuilt state with what
the contracts' own view functions answer at the target block, and with a gateway's index when one is given;
checks conservation (every escrow's token balance equals what it owes); and reports every privileged action.

One module per concern: ``model`` (the records), ``source`` (paging, integrity, checkpoints), ``onchain`` (one
checker per contract against its views, conservation, summaries), ``privileged`` (which events are privileged
actions), ``index`` (a gateway's index against the rebuilt state), ``render`` (JSON, HTML with charts, CSV and
Parquet tables), ``run`` (the whole replay). A new contract plugs in with its reducer in ``chain.reducers`` and
one checker in ``onchain``.
"""

from chain.replay.model import Difference, IntegrityFailure, PrivilegedAction, ReplayReport, Series
from chain.replay.run import ReplayInputError, run_replay

__all__ = [
    "Difference",
    "IntegrityFailure",
    "PrivilegedAction",
    "ReplayInputError",
    "ReplayReport",
    "Series",
    "run_replay",
]
