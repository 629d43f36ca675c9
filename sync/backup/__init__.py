"""Backups of a workspace: its connections (credentials sealed with a passphrase), mappings
and flows, with each flow's links and cursors, as one JSON file another server can import.

`format` says what the file holds and how values are written, `sealing` encrypts the
credentials, `exporting` and `importing` are the two services the management commands
(`workspace_export`, `workspace_import`) call. docs/sync.md, "Backups and moving a workspace".
"""
