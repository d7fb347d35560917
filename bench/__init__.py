"""Benchmarks: each runs its baseline side by side in the same run and prints baseline, ours and the ratio.

Run from the project root as modules (``make bench`` runs both)::

    .venv/bin/python -m bench.compile_bench
    .venv/bin/python -m bench.tx_bench
"""
