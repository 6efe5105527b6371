"""Song-level dataset splits that never put one song, one artist or one recording in two
splits.

Songs are grouped first: by their artist when the alignment file names one, else by the song
itself, and every song whose recording has the same checksum joins the group of the first
such song (one recording under two names is one song).  A group's split is an explicit list's
when one names any of its songs, else a stable hash of the group's key: the same songs get
the same splits on every machine and in every run, and adding songs never moves old ones.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DrumtabberError
from ..textio import parse_json, parse_toml, read_input_file

SPLITS = ("train", "validation", "test")
DEFAULT_SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass(frozen=True)
class SongKey:
    song: str                        # the song's id
    artist: str = ""
    audio_sha256: str = ""


def parse_shares(text: str) -> dict[str, float]:
    """``"train=0.8,validation=0.1,test=0.1"`` (or ``"80,10,10"``) as shares summing to 1."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    named = all("=" in p for p in parts)
    if not parts or (not named and len(parts) != len(SPLITS)):
        raise DrumtabberError(f"--split: expected train=0.8,validation=0.1,test=0.1 or "
                              f"three numbers, found {text!r}")
    pairs = [p.split("=", 1) for p in parts] if named else list(zip(SPLITS, parts))
    shares = {}
    for name, value in pairs:
        name = name.strip()
        if name not in SPLITS:
            raise DrumtabberError(f"--split: unknown split {name!r}; valid: {', '.join(SPLITS)}")
        try:
            shares[name] = float(value)
        except ValueError:
            raise DrumtabberError(f"--split: {name}: expected a number, found {value!r}") from None
        if not 0 <= shares[name] < float("inf"):
            raise DrumtabberError(f"--split: {name}: expected 0 or more, found {value!r}")
    total = sum(shares.values())
    if total <= 0:
        raise DrumtabberError("--split: the shares add up to 0")
    return {name: shares.get(name, 0.0) / total for name in SPLITS}


def read_split_file(path: Path) -> dict[str, str]:
    """An explicit split list (TOML or JSON: ``train = ["song", ...]``, ``validation``,
    ``test``) as song id -> split; a song in two lists is an error naming the file."""
    text, findings = read_input_file(Path(path), what="split file")
    if text is None:
        raise DrumtabberError("; ".join(f.format() for f in findings))
    data = (parse_json if Path(path).suffix.lower() == ".json" else parse_toml)(text, path=path)
    out: dict[str, str] = {}
    for name, songs in data.items():
        if name not in SPLITS:
            raise DrumtabberError(f"unknown split {name!r}; valid: {', '.join(SPLITS)}",
                                  path=path)
        if not isinstance(songs, list) or not all(isinstance(s, str) for s in songs):
            raise DrumtabberError(f"{name}: expected a list of song ids", path=path)
        for song in songs:
            if song in out and out[song] != name:
                raise DrumtabberError(f"song {song!r} is in both {out[song]} and {name}",
                                      path=path)
            out[song] = name
    return out


def hash_share(key: str) -> float:
    """A stable number in [0, 1) for ``key``."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:15], 16) / 16 ** 15


def assign_splits(songs: list[SongKey], *, shares: dict[str, float] | None = None,
                  explicit: dict[str, str] | None = None) -> dict[str, str]:
    """Song id -> split, by groups (artist, same recording); see the module text."""
    shares = shares or DEFAULT_SHARES
    explicit = explicit or {}
    group_of: dict[str, str] = {}
    by_audio: dict[str, str] = {}
    for s in songs:
        group = f"artist:{s.artist.strip().lower()}" if s.artist.strip() else f"song:{s.song}"
        if s.audio_sha256:
            group = by_audio.setdefault(s.audio_sha256, group)
        group_of[s.song] = group
    # groups joined through a shared recording: follow each group to its root
    parent: dict[str, str] = {}

    def root(g):
        while parent.get(g, g) != g:
            g = parent[g]
        return g
    for s in songs:
        own = f"artist:{s.artist.strip().lower()}" if s.artist.strip() else f"song:{s.song}"
        a, b = root(own), root(group_of[s.song])
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for s in songs:
        members.setdefault(root(group_of[s.song]), []).append(s.song)
    out: dict[str, str] = {}
    for group, names in sorted(members.items()):
        chosen = {explicit[n] for n in names if n in explicit}
        if len(chosen) > 1:
            raise DrumtabberError(f"the split list puts songs of one group ({group}: "
                                  f"{', '.join(sorted(names))}) in {', '.join(sorted(chosen))}")
        if chosen:
            split = chosen.pop()
        else:
            x, split = hash_share(group), SPLITS[-1]
            for name in SPLITS:
                if x < shares.get(name, 0.0):
                    split = name
                    break
                x -= shares.get(name, 0.0)
        for n in names:
            out[n] = split
    return out
