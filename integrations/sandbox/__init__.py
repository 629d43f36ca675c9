"""Local, faithful copies of the external APIs, served by `manage.py sandbox`.

Each provider package has a `sandbox.py` whose app is mounted under `/<provider>`. The
sandboxes share no code with the clients that call them: they are written from the
providers' documentation, so a client bug is not mirrored by a sandbox bug.
"""
