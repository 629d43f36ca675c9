"""The credentials section of a backup: sealed with a key made from a passphrase.

A server's CREDENTIALS_KEYS never leave it, so the file cannot carry credentials as they are
stored. They are decrypted, then encrypted again with Fernet under a key derived from the
passphrase with scrypt (random salt; the salt and the cost are in the file). The importing
server opens them with the same passphrase and stores them under its own keys.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os

from cryptography.fernet import Fernet, InvalidToken

from sync.backup.format import BackupError

# scrypt's cost: about 32 MB and a tenth of a second per try, which is what makes guessing
# a passphrase from a stolen file slow. A file may ask for more, up to MAX_N, not less.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_N, MAX_N = 2**14, 2**17
MIN_PASSPHRASE = 12

WRONG_PASSPHRASE = (
    "Wrong passphrase: it does not open the credentials in this backup (or the file was "
    "changed). Give the passphrase used when it was exported. Nothing was imported."
)


class WrongPassphrase(BackupError):
    pass


def passphrase_problem(passphrase: str) -> str:
    """Why a passphrase is too weak to seal a backup with ("" if it will do)."""
    if len(passphrase) < MIN_PASSPHRASE:
        return (
            f"The passphrase must be at least {MIN_PASSPHRASE} characters: it is all that "
            "protects the credentials in the file."
        )
    return ""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    derived = hashlib.scrypt(
        passphrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n * p, dklen=32
    )
    return base64.urlsafe_b64encode(derived)


def seal(secrets: dict, passphrase: str) -> dict:
    salt = os.urandom(16)
    key = _key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return {
        "cipher": "fernet",
        "kdf": {
            "name": "scrypt",
            "salt": base64.b64encode(salt).decode(),
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
        },
        "token": Fernet(key).encrypt(json.dumps(secrets, sort_keys=True).encode()).decode(),
    }


def _cost(sealed) -> tuple[bytes, int, int, int, bytes] | None:
    """(salt, n, r, p, token) of a well-formed section, else None."""
    try:
        kdf = sealed["kdf"]
        if sealed["cipher"] != "fernet" or kdf["name"] != "scrypt":
            return None
        n, r, p = (kdf[name] for name in ("n", "r", "p"))
        if not all(type(x) is int for x in (n, r, p)):
            return None
        # Bounded, so that a crafted file cannot make the import take minutes or gigabytes.
        if not (MIN_N <= n <= MAX_N and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4):
            return None
        return base64.b64decode(kdf["salt"], validate=True), n, r, p, sealed["token"].encode()
    except (KeyError, TypeError, AttributeError, ValueError):
        return None


def unseal(sealed, passphrase: str) -> dict:
    """The credentials per connection ref; WrongPassphrase when the passphrase (or the
    token) is not the one they were sealed with, BackupError when the section is damaged."""
    cost = _cost(sealed)
    if cost is None:
        raise BackupError(
            "The backup's credentials section is damaged (its cipher, salt or cost is "
            "missing or not what workspace_export writes); nothing was imported."
        )
    salt, n, r, p, token = cost
    try:
        opened = json.loads(Fernet(_key(passphrase, salt, n, r, p)).decrypt(token))
    except InvalidToken:
        raise WrongPassphrase(WRONG_PASSPHRASE) from None
    if not isinstance(opened, dict) or not all(isinstance(v, dict) for v in opened.values()):
        raise BackupError("The backup's credentials section does not hold credentials.")
    return opened


def passphrase_read(*, env: str | None, confirm: bool, interactive: bool) -> str:
    """The passphrase from the environment variable named `env`, else typed at a prompt
    (twice when `confirm`). Never from a command-line value: those show in `ps` and in
    shell history."""
    if env:
        passphrase = os.environ.get(env, "")
        if not passphrase:
            raise BackupError(f"The environment variable {env} is not set or is empty.")
        return passphrase
    if not interactive:
        raise BackupError(
            "No passphrase: without a terminal to type it at, put it in an environment "
            "variable and give its name with --passphrase-env NAME."
        )
    passphrase = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("The same passphrase again: ") != passphrase:
        raise BackupError("The two passphrases differ. Nothing was written.")
    return passphrase
