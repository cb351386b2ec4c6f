"""Reading a user's files safely: ordinary files only, never more than a size cap.

Every file thesis-lib reads goes through :func:`read_bytes` (universes, chains, evidence,
links and scenario files, rule packs and their expectations' universes, watchlists, price,
snapshot and FX tables, watch snapshots). Before anything is opened the path is checked:

- a NUL byte in the path, a missing file, a symbolic-link loop, a directory, and anything
  that is not a regular file (a FIFO, ``/dev/zero``, a socket) are errors, so nothing can
  block on a pipe or stream from a device forever;
- a file larger than the cap is an error, and the read itself stops one byte past the cap,
  so a file that grows (or lies about its size) cannot exhaust memory.

The cap is :data:`DEFAULT_MAX_FILE_BYTES` (64 MiB) unless the environment variable
``THESIS_MAX_FILE_BYTES`` (:data:`MAX_FILE_BYTES_ENV`) sets another number of bytes; a
caller may also pass ``limit=``. :func:`read_text` decodes UTF-8 (a leading byte-order mark
is accepted and dropped) and :func:`loads_json` bounds the nesting depth of JSON
(:data:`MAX_JSON_DEPTH`) before parsing, so a hostile document cannot exhaust the stack.

Every problem is raised as the caller's :class:`~thesis_lib.errors.ThesisError` subclass
(a :class:`~thesis_lib.errors.DataError` by default) naming the file and saying how to fix it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from typing import Any

from thesis_lib.errors import DataError, ThesisError

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "MAX_FILE_BYTES_ENV",
    "MAX_JSON_DEPTH",
    "check_file",
    "decode_text",
    "display_path",
    "loads_json",
    "max_file_bytes",
    "read_bytes",
    "read_json",
    "read_text",
]

DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
"""The largest file read when ``THESIS_MAX_FILE_BYTES`` is not set: 64 MiB."""

MAX_FILE_BYTES_ENV = "THESIS_MAX_FILE_BYTES"
"""The environment variable that sets the size cap, a whole number of bytes."""

MAX_JSON_DEPTH = 64
"""How deeply arrays and objects may nest in a JSON file (a snapshot needs 4)."""

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_PathLike = str | os.PathLike[str]


def display_path(path: _PathLike) -> str:
    """``path`` as text for a message; control characters (a NUL byte) are escaped."""
    text = os.fspath(path)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return repr(text)[1:-1]
    return text


def max_file_bytes(*, error: type[ThesisError] = DataError) -> int:
    """The size cap in bytes: ``THESIS_MAX_FILE_BYTES`` if set, else the default."""
    raw = os.environ.get(MAX_FILE_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_FILE_BYTES
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise error(f"{MAX_FILE_BYTES_ENV}={raw!r} is not a positive whole number of bytes",
                    field=MAX_FILE_BYTES_ENV,
                    hint=f"set it to e.g. {DEFAULT_MAX_FILE_BYTES} or unset it")
    return value


def _too_large(size: int | None, limit: int) -> str:
    shown = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return f"the file is too large ({shown}; the limit is {limit:,} bytes)"


def _stat_problem(exc: OSError, what: str) -> tuple[str, str]:
    """(message, hint) for an ``os.stat``/``os.open`` failure."""
    if isinstance(exc, FileNotFoundError):
        return f"{what} not found", "check the path"
    if exc.errno == errno.ELOOP:
        return ("a symbolic link loop: the link leads back to itself",
                "point the link at a real file, or give the file's own path")
    if isinstance(exc, NotADirectoryError):
        return ("a part of the path is a file, not a folder",
                "check the folders in the path")
    if isinstance(exc, PermissionError):
        return "permission denied", "make the file readable, or copy it somewhere readable"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long", "use a shorter path"
    reason = exc.strerror or type(exc).__name__
    return f"cannot read the file: {reason}", "check the path and the file"


def check_file(path: _PathLike, *, error: type[ThesisError] = DataError, what: str = "file",
               limit: int | None = None) -> None:
    """Raise ``error`` unless ``path`` names a regular file within the size cap (nothing is
    opened: a FIFO or a device is refused before it could block)."""
    cap = max_file_bytes(error=error) if limit is None else limit
    name = display_path(path)
    if "\x00" in os.fspath(path):
        raise error("the path contains a NUL byte", file=name,
                    hint="remove the \\0 character from the path")
    try:
        info = os.stat(path)
    except OSError as exc:
        message, hint = _stat_problem(exc, what)
        raise error(message, file=name, hint=hint) from None
    _check_kind(info, name, error=error, cap=cap)


def read_bytes(path: _PathLike, *, error: type[ThesisError] = DataError,
               what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    ``limit`` defaults to :func:`max_file_bytes`. Anything else (see the module docstring)
    raises ``error`` naming the file, what is wrong and how to fix it; ``what`` names the
    file in messages (``"price file not found"``).
    """
    cap = max_file_bytes(error=error) if limit is None else limit
    name = display_path(path)
    check_file(path, error=error, what=what, limit=cap)
    # O_NONBLOCK: if the path was swapped for a FIFO since the check, opening cannot block.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        message, hint = _stat_problem(exc, what)
        raise error(message, file=name, hint=hint) from None
    try:
        _check_kind(os.fstat(fd), name, error=error, cap=cap)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks: list[bytes] = []
        remaining = cap + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or type(exc).__name__}", file=name,
                    hint="check the file") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        raise error(_too_large(None, cap), file=name,
                    hint=f"set {MAX_FILE_BYTES_ENV} to a larger number of bytes to read it")
    return data


def _check_kind(info: os.stat_result, name: str, *, error: type[ThesisError], cap: int) -> None:
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise error("is a directory, not a file", file=name,
                    hint="give the path of a file inside it")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise error(f"not a regular file: it is {kind}", file=name,
                    hint="give the path of an ordinary file; special files are never read")
    if info.st_size > cap:
        raise error(_too_large(info.st_size, cap), file=name,
                    hint=f"set {MAX_FILE_BYTES_ENV} to a larger number of bytes to read it")


def decode_text(raw: bytes, *, file: str | None, error: type[ThesisError] = DataError,
                fix: str = "save it as UTF-8") -> str:
    """``raw`` decoded as UTF-8; a leading byte-order mark is dropped."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM):]
    elif raw.startswith(_UTF16_BOMS):
        raise error("not a text file in UTF-8 (it is UTF-16)", file=file, hint=fix)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise error(f"not a text file in UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}, "
                    f"column {column})", file=file, hint=fix) from None


def read_text(path: _PathLike, *, error: type[ThesisError] = DataError, what: str = "file",
              limit: int | None = None, fix: str = "save it as UTF-8") -> str:
    """The UTF-8 text of the file at ``path`` (see :func:`read_bytes`); a leading
    byte-order mark is accepted and dropped, other encodings are an error saying ``fix``."""
    raw = read_bytes(path, error=error, what=what, limit=limit)
    return decode_text(raw, file=display_path(path), error=error, fix=fix)


# A string (to its closing quote, or to the end if it has none) or one bracket: the scan is
# linear, and brackets inside strings are skipped.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, max_depth: int) -> int | None:
    """The 1-based line where nesting first goes deeper than ``max_depth``, or None."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                return text.count("\n", 0, match.start()) + 1
        elif token in ("]", "}"):
            depth -= 1
    return None


def loads_json(text: str, *, file: str | None = None, error: type[ThesisError] = DataError,
               max_depth: int = MAX_JSON_DEPTH, fix: str = "the file is damaged") -> Any:
    """Parse JSON ``text`` whose arrays and objects nest at most ``max_depth`` deep."""
    line = json_depth_exceeds(text, max_depth)
    if line is not None:
        raise error(f"JSON nested deeper than {max_depth} levels (at line {line})", file=file,
                    hint=fix)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                    file=file, hint=fix) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise error("JSON nested too deeply", file=file, hint=fix) from None


def read_json(path: _PathLike, *, error: type[ThesisError] = DataError, what: str = "file",
              limit: int | None = None, max_depth: int = MAX_JSON_DEPTH,
              fix: str = "the file is damaged") -> Any:
    """Read and parse the JSON file at ``path`` (:func:`read_text`, :func:`loads_json`)."""
    text = read_text(path, error=error, what=what, limit=limit, fix=fix)
    return loads_json(text, file=display_path(path), error=error, max_depth=max_depth, fix=fix)


