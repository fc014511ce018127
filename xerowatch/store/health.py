"""The store file's health: empty or damaged files are refused, its files are kept private.

Everything here works on paths (stat, chmod, rename), never by opening the database file: an
open-and-close of another descriptor on a database this process already has open would drop
SQLite's POSIX locks on it, which are per process.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
from pathlib import Path

import aiosqlite

from xerowatch.store.errors import StoreDamagedError, StoreError

log = logging.getLogger(__name__)

SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
PRIVATE_MODE = 0o600
BACKUP_RECORD_SUFFIX = ".last-backup"
RESTORE_DOC = 'docs/daemon.md, "Restoring the store"'
_SIDE_FILES = ("-wal", "-shm", "-journal")


def side_files(path: Path) -> list[Path]:
    """SQLite's companion files of a database (write-ahead log, shared memory, rollback journal)."""
    return [Path(f"{path}{suffix}") for suffix in _SIDE_FILES]


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's "database disk image is malformed" and "file is not a database"."""
    return damage_in(exc) is not None


def damage_in(exc: BaseException) -> BaseException | None:
    """The store-damage error in `exc`, its exception groups or causes (a StoreDamagedError,
    or SQLite's corrupt / not-a-database error); None if there is none."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StoreDamagedError):
            return current
        if isinstance(current, sqlite3.DatabaseError):
            code = getattr(current, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB):
                return current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
    return None


def backup_record_path(store_path: Path) -> Path:
    """Where `xerowatch store backup` notes its last backup: beside the store, not inside it."""
    return Path(f"{store_path}{BACKUP_RECORD_SUFFIX}")


def record_backup(store_path: Path, backup_path: Path, *, made_at: str) -> None:
    """Remember the last good backup (written atomically, mode 0600)."""
    record = backup_record_path(store_path)
    tmp = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    text = json.dumps({"path": str(backup_path.resolve()), "made_at": made_at})
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:  # readable by the store's owner (a root-run backup of a service's store)
        owner = store_path.stat()
        os.chown(tmp, owner.st_uid, owner.st_gid)
    except OSError:
        pass
    os.replace(tmp, record)


def last_backup_advice(store_path: Path) -> str:
    """What to do about a bad store: restore the recorded backup, or how to start afresh."""
    record = backup_record_path(store_path)
    try:
        data = json.loads(record.read_text("utf-8"))
        backup, made_at = Path(str(data["path"])), str(data["made_at"])
    except FileNotFoundError:
        backup = None
    except (OSError, ValueError, KeyError, TypeError):
        return f"the backup record {record} is unreadable; see {RESTORE_DOC}"
    if backup is not None and backup.is_file():
        return f"restore the last good backup {backup} (made {made_at}); see {RESTORE_DOC}"
    if backup is not None:
        return f"the last backup recorded ({backup}, made {made_at}) is gone; see {RESTORE_DOC}"
    return (
        f"no backup recorded (`xerowatch store backup PATH` makes one); move the file aside to "
        f"start afresh with `xerowatch connect`, see {RESTORE_DOC}"
    )


def damaged(store_path: Path | str, detail: str) -> StoreDamagedError:
    """The one-line refusal of a damaged store: what is wrong and where the last backup is."""
    path = Path(store_path)
    return StoreDamagedError(f"store {path} is damaged ({detail}): {last_backup_advice(path)}")


def refuse_if_empty(path: Path) -> None:
    """Refuse an existing 0-byte store: it would silently become a new one, tokens and all lost.

    A 0-byte file beside a write-ahead log that holds data is left to SQLite, which recovers
    the database from the log.
    """
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return  # none yet: create_private makes it, or says why it cannot
    wal = Path(f"{path}-wal")
    if size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise StoreDamagedError(
            f"store {path} is empty (0 bytes), so its tokens and links are gone: "
            f"{last_backup_advice(path)}"
        )


def make_private(path: Path) -> None:
    """Tighten an existing store and its -wal/-shm to 0600, or refuse one that stays readable.

    chmod by path only (see the module docstring). A store others can read leaks the Xero and
    Wisenet tokens in it, so one that cannot be tightened (not its owner) is refused.
    """
    for file in (path, *side_files(path)):
        try:
            current = stat.S_IMODE(file.stat().st_mode)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not current & 0o077:
            continue
        try:
            os.chmod(file, PRIVATE_MODE)
        except OSError as exc:
            raise StoreError(
                f"store file {file} is readable by others (mode {current:04o}) and cannot be "
                f"made private ({exc.strerror}): as its owner, run `chmod 600 {path}*`"
            ) from None
        log.warning(
            "store file %s was mode %04o (readable by others; it holds tokens): now 0600",
            file,
            current,
        )


def create_private(path: Path) -> None:
    """Create a new, empty database 0600 in one step: it appears with its header, never empty.

    The file is built under a temporary name and linked into place, so no other process (and
    no crash) can ever see a 0-byte store that `refuse_if_empty` would take for a lost one.
    """
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (tmp, *side_files(tmp)):
            leftover.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_RDWR, PRIVATE_MODE))
    except OSError as exc:
        raise StoreError(
            f"cannot create the store {path}: {exc.strerror or exc} (check [store] path and "
            "that its directory is writable)"
        ) from None
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # writes the header page
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: theirs is as good
        except OSError:  # a file system without hard links
            if not path.exists():
                os.rename(tmp, path)
    finally:
        for leftover in (tmp, *side_files(tmp)):
            leftover.unlink(missing_ok=True)


async def integrity_problems(
    conn: aiosqlite.Connection, *, full: bool = False, limit: int = 20
) -> list[str]:
    """Run PRAGMA quick_check (or the full integrity_check); return its findings, [] when ok."""
    pragma = "integrity_check" if full else "quick_check"
    async with conn.execute(f"PRAGMA {pragma}({int(limit)})") as cursor:
        rows = [str(row[0]) for row in await cursor.fetchall()]
    if rows == ["ok"]:
        return []
    # A row may hold several lines, under a "*** in database main ***" heading.
    lines = [line.strip() for row in rows for line in row.splitlines()]
    return [line for line in lines if line and not line.startswith("*** ")]
