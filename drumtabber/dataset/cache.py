"""A content-addressed cache of computed results (features, refined labels): a value is
stored under the hash of everything it was computed from, so a change of class map or
export format finds the spectrograms already there, and any change of audio or settings
misses.  Entries are written to a partial name and renamed; an unreadable entry is dropped
and recomputed."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

# Bump when what a cached value means changes.
CACHE_VERSION = 1


def content_key(*parts) -> str:
    """A stable key of JSON-able ``parts``."""
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "drumtabber"


class Cache:
    """Values under ``folder/<kind>/<key[:2]>/<key>.pkl``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.hits = self.misses = 0

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}.pkl"

    def get(self, kind: str, key: str):
        path = self._path(kind, key)
        try:
            with open(path, "rb") as f:
                value = pickle.load(f)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:                    # truncated or foreign: recompute it
            path.unlink(missing_ok=True)
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, kind: str, key: str, value) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    def get_or_compute(self, kind: str, key: str, compute):
        value = self.get(kind, key)
        if value is None:
            value = compute()
            self.put(kind, key, value)
        return value
