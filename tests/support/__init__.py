"""Harnesses shared by the tests and the benchmarks (``bench/``): they drive the product from outside,
as an operator would, and are no part of it. ``scripts/`` stays the CLI and the demo.

* :mod:`tests.support.serve_process`: ``recourse serve`` as a child process, by PID.
* :mod:`tests.support.cli_runs`: any other ``recourse`` command as a child process against a gateway, and
  its success or one-line refusal.
* :mod:`tests.support.waiting`: ``wait_until(predicate, timeout)``, for state another process changes.
* :mod:`tests.support.oracle_reports`: a valuation report for a feed and subject at a block time.
* :mod:`tests.support.live_gateway`: a private chain (``World``) and a real gateway served by uvicorn in a
  thread, a ``Client`` of one institution, with an SSE reader and a webhook ``receiver`` fixture.
"""
