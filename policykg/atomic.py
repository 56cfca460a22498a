"""Atomic file output: the one way policykg writes a file.

Output goes to a temporary file in the target's folder, is flushed to disk, then
renamed over the target, so an error or an interrupt leaves no half-written file
and keeps any previous file intact.

An interrupt (Ctrl-C, SIGTERM, SIGHUP) during the write removes the temporary
file before the interrupt goes on (SIGTERM and SIGHUP arrive as
KeyboardInterrupt while a file is being written, where no other handler is set).
Only SIGKILL or a power cut can leave one behind: temporary files are named
``.<target>.<pid>.<random>.tmp``, and the next successful write of the same
target removes those whose process no longer runs.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputError

#: Signals whose default action would end the process with the temporary file left behind.
_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it only when the block succeeds.

    For writers that need a file name rather than a handle (SQLite, a serializer);
    :func:`atomic_open` is this with an open file.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    with _interrupts_raise():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
            os.close(fd)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        try:
            yield Path(tmp)
            if target.is_dir():
                raise OutputError(f"{target}: is a folder, not a file")
            # mkstemp creates 0600; give the file the permissions a normal write would
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
            raise
    _remove_stale_temporaries(folder, target.name)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` only when the block succeeds."""
    binary = "b" in mode
    with atomic_path(path) as tmp:
        try:
            fh = open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": encoding, "newline": newline}))
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _interrupts_raise() -> Iterator[None]:
    """While a temporary file exists, SIGTERM and SIGHUP raise KeyboardInterrupt, so it is removed.

    Only where the signal still has its default action (an application's own
    handler is left alone) and only in the main thread (where Python runs handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in _TERMINATING:
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(sig) == signal.SIG_DFL:
                previous[sig] = signal.signal(sig, _raise_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Remove temporary files of ``name`` left by writers that were killed (POSIX only).

    A file is stale when the process id in its name runs no more; a live process
    (or a reused id) keeps its file.  Errors are ignored: this is tidying up."""
    if os.name != "posix":
        return
    prefix, mine = f".{name}.", os.getpid()
    stale = re.compile(r"(\d+)\.[A-Za-z0-9_]{8}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            m = stale.fullmatch(entry.name[len(prefix):]) if entry.name.startswith(prefix) else None
            if m is None or int(m.group(1)) == mine or _running(int(m.group(1))):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a process id we can ask about
    return True
