"""The sync engine's decisions, in plain Python (no Django, no I/O): hashing, matching, what
to do with one record, retry timing, run status, progress and budget planning. The runner
(sync/runner.py) does the I/O and asks these what to do."""
