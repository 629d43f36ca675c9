"""The machinery every sandbox shares: a threaded WSGI server, a small router, an SQLite-or-
memory store, fault and rate-limit knobs, the `/_control` panel and webhook delivery."""
