"""One package per external system, each the same shape; `registry.py` lists them and
`base.py` says what each must give (see docs/providers.md)."""
