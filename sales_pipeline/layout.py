"""Where every object of a landed file lives in the bucket. Pure functions, no I/O.

A landed file is identified by its partition key: the landing key without the landing prefix,
e.g. ``sales/2019 Q1.csv``. Its ``file_id`` is a slug of the name plus a hash of the key, so it
is stable across re-drops of the same key and safe in any object key or Druid filter.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from dataclasses import dataclass

_DATASOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", ".upload", ".filepart")
_TEMP_PREFIXES = (".", "~$", "_")
# Dagster rejects these in partition keys.
_FORBIDDEN_IN_KEYS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


@dataclass(frozen=True)
class LandedFile:
    partition_key: str
    datasource: str
    name: str

    @property
    def file_id(self) -> str:
        stem = posixpath.splitext(self.name)[0]
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")[:40] or "file"
        digest = hashlib.sha1(self.partition_key.encode()).hexdigest()[:10]
        return f"{slug}-{digest}"

    @property
    def extension(self) -> str:
        return posixpath.splitext(self.name)[1].lower()

    def raw_key(self, etag: str) -> str:
        return f"raw/{self.datasource}/{self.file_id}/{etag}{self.extension}"

    @property
    def raw_pointer_key(self) -> str:
        """JSON pointer to the archived copy of the current version."""
        return f"raw/{self.datasource}/{self.file_id}/current.json"

    @property
    def staged_key(self) -> str:
        return f"staging/{self.datasource}/{self.file_id}.parquet"

    @property
    def quarantine_key(self) -> str:
        return f"quarantine/{self.datasource}/{self.file_id}.parquet"

    def validated_key(self, day: str) -> str:
        return f"{validated_prefix(self.datasource)}date={day}/{self.file_id}.parquet"

    def druid_key(self, day: str) -> str:
        """The Druid-readable sibling of ``validated_key(day)`` (gzipped JSON lines)."""
        return druid_key_for(self.validated_key(day))

    @property
    def manifest_key(self) -> str:
        return f"manifests/{self.datasource}/{self.file_id}.json"


def validated_prefix(datasource: str) -> str:
    return f"validated/{datasource}/"


def druid_key_for(validated_key: str) -> str:
    """``validated/<ds>/date=D/<id>.parquet`` -> ``druid/<ds>/date=D/<id>.json.gz``."""
    if not validated_key.startswith("validated/") or not validated_key.endswith(".parquet"):
        raise ValueError(f"not a validated object key: {validated_key!r}")
    return "druid/" + validated_key.removeprefix("validated/").removesuffix(".parquet") + ".json.gz"


def day_of_key(validated_key: str) -> str:
    """``validated/<ds>/date=2019-01-05/<id>.parquet`` -> ``2019-01-05``."""
    found = re.search(r"/date=(\d{4}-\d{2}-\d{2})/", validated_key)
    if not found:
        raise ValueError(f"not a day object key: {validated_key!r}")
    return found.group(1)


def landed_file(partition_key: str, default_datasource: str = "sales") -> LandedFile:
    """Split a partition key into datasource and file name.

    ``<datasource>/<name...>``; a file dropped directly under the landing prefix belongs to the
    default datasource.
    """
    head, sep, rest = partition_key.partition("/")
    if sep and rest:
        return LandedFile(partition_key, head, rest)
    return LandedFile(partition_key, default_datasource, partition_key)


def skip_reason(partition_key: str) -> str | None:
    """Why the landing sensor must not process this key, or None if it should."""
    if not partition_key or partition_key.endswith("/"):
        return "directory marker"
    base = posixpath.basename(partition_key)
    if base.startswith(_TEMP_PREFIXES) or base.lower().endswith(_TEMP_SUFFIXES):
        return "temporary or hidden file (still uploading or editor lock file)"
    if any(bad in partition_key for bad in _FORBIDDEN_IN_KEYS):
        return "key contains control characters or '...', which Dagster partition keys forbid"
    head, sep, rest = partition_key.partition("/")
    if sep and rest and not _DATASOURCE.match(head):
        return f"datasource folder {head!r} must match {_DATASOURCE.pattern}"
    return None
