"""Local, faithful copies of the external APIs, for development, tests and the demo.

`kit/` is the shared machinery (HTTP server, router, store, fault knobs, webhook delivery);
each other package imitates one system and is mounted under `/<provider>` by
`manage.py sandbox`. Sandboxes import nothing of the app but the kit: they are written from
the providers' documentation, so a client bug is not mirrored by a sandbox bug. They are not
part of the built wheel.
"""
