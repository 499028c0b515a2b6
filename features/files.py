"""Writing a file whole or not at all: write a temporary file in the same folder, then rename it over the target.

Every output the toolkit writes (sources, feature tables, reports, batch partitions, manifests, approval files)
goes through :func:`atomic_path`, so a reader, a resumed run or a program polling for the file sees the old
content or the new content, never half of it, and a failed write leaves no temporary file behind.

The temporary name is hidden and recognisable: ``.{name}.{pid}.{random}.tmp{suffix}``, for example
``.summary.json.4711.9f3a1b2c.tmp.json``. It keeps the target's final suffix, because some writers choose the
format by it (pandas ``to_excel``, matplotlib ``savefig`` without ``format=``). A temporary file only survives a
hard crash (power loss, ``kill -9``); :func:`is_temp_path` tells such leftovers apart from real outputs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "is_temp_path", "temp_path_for", "write_bytes_atomic", "write_text_atomic"]

TEMP_MARK = ".tmp"
# Hidden, ending in ".tmp" or ".tmp" plus one suffix; also matches the older ``.{name}.{pid}.tmp`` names.
_TEMP_NAME = re.compile(r"^\..+\.tmp(\.[^.]+)?$")
# fsync is not possible on this file system or file (a platform or mount that refuses it): the rename still runs.
_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.ENOTSUP, errno.EBADF}


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A fresh temporary name next to ``path``: hidden, unique per process and call, with ``path``'s suffix.

    Args:
        path: The file that will be written.

    Returns:
        ``{folder}/.{name}.{pid}.{random}.tmp{suffix}``; the file is not created.
    """
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_MARK}{path.suffix}")


def is_temp_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is named like a temporary file of :func:`atomic_path` (a write cut short by a crash).

    Args:
        path: Any path; only its name is looked at.

    Returns:
        True for hidden names ending in ``.tmp`` or ``.tmp`` plus one suffix.
    """
    return _TEMP_NAME.match(Path(path).name) is not None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in _FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    The temporary file is in ``path``'s folder (a rename across file systems would not be atomic) and keeps its
    suffix. When the block ends normally the file is flushed to disk and renamed onto ``path`` with
    :func:`os.replace`. When the block (or the rename) raises, the temporary file is removed and the exception
    propagates: ``path`` keeps its old content, or stays absent. The folder is not created here.

    Args:
        path: The file to write.

    Yields:
        The temporary path; the block must create the file there.

    Raises:
        FileNotFoundError: When the block wrote nothing to the temporary path.

    Example:
        >>> with atomic_path(out / "table.parquet") as tmp:  # doctest: +SKIP
        ...     frame.to_parquet(tmp, index=False)
    """
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`).

    Args:
        path: The file to write; its folder must exist.
        text: The whole content.
        encoding: The text encoding.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`).

    Args:
        path: The file to write; its folder must exist.
        data: The whole content.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
