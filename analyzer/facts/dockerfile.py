"""What a Dockerfile's image is once built: its instructions across the FROM chain, its
variables, and the command Docker runs when a container starts from it.

`FROM base AS final` inherits everything `base` set: its USER, ENV, HEALTHCHECK, and its
ENTRYPOINT and CMD. The rules about the image, the serving rules that compare a probe with
the server's port and the container view all read the command from here, so they agree on
what a multi-stage image runs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.core.roles import is_dev_config
from analyzer.parsers.dockerfile import (
    Dockerfile,
    Instruction,
    Stage,
    arg_defaults,
    env_pairs,
    expand,
    split_words,
)

_SHELLS = ("sh", "bash", "ash", "dash")


@dataclass(frozen=True)
class Command:
    """The effective ENTRYPOINT and CMD of the shipped image, each where it was written."""

    entrypoint: Instruction | None
    cmd: Instruction | None

    @property
    def instructions(self) -> list[Instruction]:
        return [i for i in (self.entrypoint, self.cmd) if i is not None]

    def text(self) -> str:
        """The shell text the container runs, `sh -c` scripts unwrapped."""
        return " ".join(command_text(i) for i in self.instructions)

    def words(self) -> list[str]:
        """ENTRYPOINT then CMD as argument words (a shell form split as the shell would)."""
        return [w for i in self.instructions for w in i.words()]

    @property
    def place(self) -> Instruction | None:
        """Where a finding about the command goes: the CMD, else the ENTRYPOINT."""
        return self.cmd or self.entrypoint


def is_dev_file(df: Dockerfile) -> bool:
    """Named as a development image, or every stage is (`AS development`, `AS dev-envs`)."""
    return is_dev_config(df.path) or df.development_only


def chain(df: Dockerfile) -> list[Instruction]:
    """Instructions that make up the shipped image, oldest ancestor stage first."""
    out: list[Instruction] = []
    for stage in reversed(df.lineage(df.shipped_stage)):
        out.extend(stage.instructions)
    return out


def root_stage(df: Dockerfile) -> Stage:
    """The stage of the shipped image's lineage that starts from an external image."""
    return df.lineage(df.shipped_stage)[-1]


def global_vars(df: Dockerfile) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for ins in df.global_args:
        for name, value, _ in arg_defaults(ins):
            out[name] = value
    return out


def base_image(df: Dockerfile) -> str:
    """The external image the shipped image starts FROM, its global ARG defaults filled in."""
    base = root_stage(df).base
    return expand(base, global_vars(df)) or base


def variables(df: Dockerfile, instructions: Iterable[Instruction]) -> dict[str, str | None]:
    """ARG and ENV values visible at the end of `instructions` (defaults only)."""
    glob = global_vars(df)
    out: dict[str, str | None] = {}
    for ins in instructions:
        if ins.keyword == "ARG":
            for name, value, _ in arg_defaults(ins):
                out[name] = value if value is not None else glob.get(name)
        elif ins.keyword == "ENV":
            for name, value, _ in env_pairs(ins):
                out[name] = expand(value, out) if "$" in value else value
    return out


def command(df: Dockerfile) -> Command:
    """ENTRYPOINT and CMD as Docker resolves them across the FROM chain.

    The last of each wins, wherever in the chain it stands; an ENTRYPOINT set in a later
    stage than the CMD resets the inherited CMD, and a shell-form ENTRYPOINT ignores CMD.
    """
    entry: Instruction | None = None
    cmd: Instruction | None = None
    for ins in chain(df):
        if ins.keyword == "ENTRYPOINT":
            if cmd is not None and cmd.stage != ins.stage:
                cmd = None
            entry = ins
        elif ins.keyword == "CMD":
            cmd = ins
    if entry is not None and entry.exec_form is None and cmd is not None:
        cmd = None
    return Command(entry, cmd)


def command_text(ins: Instruction) -> str:
    """The shell text a CMD/ENTRYPOINT runs: `sh -c` scripts unwrapped."""
    if ins.exec_form is None:
        return ins.body
    words = list(ins.exec_form)
    shell = len(words) >= 3 and posixpath.basename(words[0]) in _SHELLS
    if shell and any(w.startswith("-") and "c" in w for w in words[1:-1]):
        return words[-1]
    return " ".join(words)


def segments(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each simple command separated by && || ; | & or newlines."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(r"&&|\|\||[;|&\n]", text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(o, s) for o, s in out if s.strip()]


def programs(text: str) -> list[list[str]]:
    """Simple commands of a shell text, each as words (wrappers like `exec` removed)."""
    out: list[list[str]] = []
    for _, segment in segments(text):
        words = split_words(segment)
        while words and (words[0] in ("exec", "env", "nohup", "time") or "=" in words[0]):
            words = words[1:]
        if words:
            out.append(words)
    return out


def healthcheck(df: Dockerfile) -> Instruction | None:
    """The HEALTHCHECK the shipped image has, None when it has none or `HEALTHCHECK NONE`."""
    checks = [i for i in chain(df) if i.keyword == "HEALTHCHECK"]
    if not checks or checks[-1].body.strip().upper() == "NONE":
        return None
    return checks[-1]


def env(df: Dockerfile) -> list[tuple[Instruction, str, str]]:
    """(ENV instruction, name, value) of every variable the shipped image sets, inherited ones
    included, in the order they are set."""
    return [(ins, name, value) for ins in chain(df) if ins.keyword == "ENV"
            for name, value, _ in env_pairs(ins)]  # fmt: skip
