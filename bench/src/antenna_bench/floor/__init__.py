"""The stack's floor (issue #13): a bare Django view served by the same gunicorn, settings,
middleware and PostgreSQL as Antenna, that authenticates an API token the way a minimal app
would and inserts one row. `bench/load/run.py` serves Antenna through `antenna_bench.floor.wsgi`
(Antenna's URLs plus `POST /bench/floor`) and reports submits/s as a ratio to it.

Benchmark code only: the product never imports it (issue #14), and it is installed as a
Django app only by `antenna_bench.floor.settings`.
"""
