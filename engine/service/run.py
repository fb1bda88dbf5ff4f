"""What `aicxs serve` gives uvicorn: the settings of a server, checked before it starts, and
passed to each worker process through the environment.

With `--workers N`, uvicorn starts N processes that share the listening socket; each builds
its own app from an import string (`aicxs.engine.service.cli:worker_app`), so the settings go
to them as JSON in `AICXS_SERVE_SETTINGS` (tokens are not in it: each worker reads the token
file, or `AICXS_SERVE_TOKENS`, itself). Each worker compiles the policies and watches the folder.
"""

from __future__ import annotations

import copy
import json
import os
import ssl
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.engine.service.connections import ConnectionLimits
from aicxs.engine.service.security import Exposure, allowed_hosts, read_tokens

SETTINGS_VARIABLE = "AICXS_SERVE_SETTINGS"


@dataclass(frozen=True)
class Settings:
    folder: str
    host: str
    port: int
    max_body: int
    reload_interval: float
    web: bool = False
    store_url: str | None = None
    token_file: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    show_paths: bool = False
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    workers: int = 1
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    reload_grace: float = 5.0
    decision_log: str | None = None  # a file, `-` for stdout, or None
    decision_log_max_bytes: int = 100 * 1024 * 1024
    decision_log_keep: int = 5
    decision_log_input: bool = False
    log_format: str = "text"  # or `json`

    def exposure(self) -> Exposure:
        token_file = Path(self.token_file) if self.token_file else None
        return Exposure(
            read_tokens(token_file, os.environ),
            allowed_hosts(self.allowed_hosts, self.host),
            self.show_paths,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["allowed_hosts"] = tuple(data["allowed_hosts"])
        data["limits"] = ConnectionLimits(**data["limits"])
        return cls(**data)


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both files or neither, and they load as a certificate chain and its key
    (`aicxs_serve_tls`), so that a mistake is not a traceback from deep in uvicorn."""
    if certfile is None and keyfile is None:
        return
    if certfile is None or keyfile is None:
        given, missing = (
            ("--ssl-keyfile", "--ssl-certfile")
            if certfile is None
            else ("--ssl-certfile", "--ssl-keyfile")
        )
        raise _tls_error(given, f"`{given}` needs `{missing}` too", "give both files, PEM")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as err:
        reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or str(err)
        reason = str(reason).lower().replace("_", " ")  # `KEY_VALUES_MISMATCH`
        raise _tls_error(
            certfile,
            f"the certificate `{certfile}` and key `{keyfile}` do not load: {reason}",
            "give a PEM certificate (chain) and the PEM private key that belongs to it, "
            "without a passphrase",
        ) from None


def _tls_error(path: str, message: str, help_: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("aicxs_serve_tls", message, None, help_, path=path)])


def logging_config(workers: int) -> dict[str, Any]:
    """uvicorn's logging, with the service's own logger; with workers, each line names its
    process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    if workers > 1:
        for formatter in config["formatters"].values():
            formatter["fmt"] = formatter["fmt"].replace(
                "%(levelprefix)s ", "%(levelprefix)s [%(process)d] "
            )
    config["loggers"]["aicxs"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
