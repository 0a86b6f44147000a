"""Where the service under test runs: its own user, its own copy of the workspace, its own environment.

The service is code from the pull request the gate judges. Everything it runs (the install step,
the service command, the password-hashing callable) starts through this sandbox:

- **Its own unprivileged uid and gid** whenever the gate can arrange one (the gate runs as root, as
  in the Action image): a random uid with no account, no supplementary groups. It then cannot write
  the gate's files (its modules, the report, the runner's `GITHUB_OUTPUT`/`GITHUB_ENV` files), nor
  ptrace or read `/proc/<pid>/{environ,mem}` of the gate and of DynamoDB Local. Where no separate uid
  is possible (a non-root laptop run) that is said once, in the console and the report's notes; the
  gate is then still made non-dumpable, which keeps a process of the same user out of its /proc files.
- **Its own copy of the scan root** (virtualenv folders are linked, not copied), owned by that uid:
  what it writes lands in the copy, never in the workspace.
- **An environment built from scratch**: PATH, HOME and TMPDIR of its own, LANG, the virtualenv,
  the scan's service credentials, the JWT secret and `service.env`; never `GITHUB_*`, `RUNNER_*`,
  `ACTIONS_*` (even when `service.env` names them), nor DynamoDB Local's own address.
- **Contained**: at the end every process of the sandbox's uid is killed (a setsid, double-forked
  daemon included); without a separate uid, every process the scan left below the gate (the gate
  is a child subreaper, so orphans are re-parented to it, not to init).
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.dynamo.credentials import SERVICE
from gate.errors import ScanError
from gate.proc import NotFound, descendants, harden_gate, kill_all

# Environment variables of the runner that never reach the service, whatever service.env says.
_NEVER = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "AUTHGATE_")
_UID_RANGE = (0x40000000, 0x7FFF0000)  # far above any account a system creates
_COPY_IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
MAX_COPY_BYTES = 512 << 20  # a workspace bigger than this is refused, not copied for minutes


@dataclass
class Sandbox:
    base: Path  # the gate's folder for this sandbox (0711: the uid may pass through, not list it)
    root: Path  # the copy of the scan root the service runs in
    home: Path
    uid: int | None = None  # None: the service runs as the gate's own user
    gid: int | None = None
    notes: list[str] = field(default_factory=list)  # what could not be isolated, said once
    # (closed folder, the entry of it the interpreter or the virtualenv lives in), for each such folder: the
    # service starts in a mount namespace of its own where each is an empty tmpfs with only its entries bound in
    reopen: list[tuple[str, str]] | None = None
    scan_root: Path | None = None
    workdir_in_copy: Path | None = None  # the service's workdir in the copy (set by Sandbox.create)
    outside: Path | None = None  # the service's workdir when it lies outside the scan root (copied on its own)
    _before: set[int] = field(default_factory=set)  # the gate's descendants before the sandbox (tests' servers)
    _commands: dict[str, tuple[Path, bytes]] = field(default_factory=dict)  # the runner's file-command files
    tampered: list[str] = field(default_factory=list)  # those the service changed (restored by close)

    @classmethod
    def create(cls, scan_root: Path, workdir: Path | None = None) -> Sandbox:
        """A sandbox holding a copy of `scan_root`, and of the service's `workdir` too when that lies
        outside it (an absolute `service.workdir`)."""
        notes = harden_gate()
        base = Path(tempfile.mkdtemp(prefix="authgate-sbx-"))
        uid = gid = None
        # every folder on the way to the interpreter or to the virtualenv that other users cannot pass (a pyenv
        # under /root, a clone in a 0700 `mktemp -d`): each is opened in the service's mount namespace
        paths = (Path(sys.executable).resolve(), Path(sys.prefix))
        shut = list(dict.fromkeys(c for p in paths if (c := _unreachable_by_others([p]))))
        reopen: list[tuple[str, str]] | None = None
        if os.geteuid() != 0:
            notes.append(
                "the service runs as the gate's own user (the gate is not root, so it cannot give the service "
                "a user of its own): it can write what this user can write"
            )
        elif shut and (reopen := _reopening(shut)) is None:
            folders = " and ".join(dict.fromkeys(f for f, _ in shut))
            notes.append(
                f"the service runs as the gate's own user: another user cannot reach the interpreter ({folders} "
                "closed to other users, and no mount namespace that opens it is possible here), so it can write "
                "what this user can write"
            )
        else:
            uid = gid = _free_uid()
        box = cls(base=base, root=base / "work", home=base / "home", uid=uid, gid=gid, notes=notes, reopen=reopen)
        box.scan_root = scan_root.resolve()
        box._before = descendants(os.getpid())
        box._commands = _file_commands()
        try:
            box._populate(scan_root, box.root)
            if workdir is not None and not workdir.resolve().is_relative_to(box.scan_root):
                box.outside = workdir.resolve()
                box._populate(box.outside, base / "workdir")
            if workdir is not None and workdir.is_dir():
                box.workdir_in_copy = box.workdir(scan_root, workdir)
        except BaseException:
            box.close()
            raise
        return box

    def _populate(self, source: Path, copy: Path) -> None:
        size = _tree_size(source, MAX_COPY_BYTES)
        if size > MAX_COPY_BYTES:
            raise ScanError(f"{source} is larger than {MAX_COPY_BYTES >> 20} MiB (virtualenvs aside): not copied")
        # dirs_exist_ok: linking a virtualenv at the top makes the copy's folder before copytree gets to it
        shutil.copytree(source, copy, symlinks=True, ignore=_ignore_and_link_venvs(source, copy), dirs_exist_ok=True)
        (self.home / "tmp").mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o711)
        if self.uid is not None:
            for top in (copy, self.home):
                _chown_tree(top, self.uid, self.gid if self.gid is not None else self.uid)

    def workdir(self, scan_root: Path, workdir: Path) -> Path:
        """Where `workdir` is in the sandbox's copies."""
        workdir = workdir.resolve()
        if self.outside is not None and workdir.is_relative_to(self.outside):
            return self.base / "workdir" / workdir.relative_to(self.outside)
        return self.root / workdir.relative_to(scan_root.resolve())

    def service_venv(self) -> Path | None:
        """The service's own virtualenv (`.venv`, `venv`, `env` in its workdir or the scan root), if it has one:
        its interpreter runs the service's code (its password hashing), its `bin` comes first on PATH."""
        bases = [self.root]
        if self.workdir_in_copy is not None:
            bases.insert(0, self.workdir_in_copy)
        for base in bases:
            for name in (".venv", "venv", "env", ".env"):
                cand = base / name
                if _is_venv(cand) and (cand / "bin" / "python").exists():
                    return cand
        return None

    def interpreter(self) -> str:
        """The Python that runs the service's own code: its virtualenv's, else the gate's."""
        venv = self.service_venv()
        return str(venv / "bin" / "python") if venv is not None else sys.executable

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        """The whole environment of what runs in the sandbox: built up, never copied down from the gate's."""
        own = self.service_venv()
        venv_bin = str(own / "bin") if own is not None else str(Path(sys.executable).parent)
        env = {
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "TMPDIR": str(self.home / "tmp"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            **SERVICE.env(),
        }
        if own is not None:
            env["VIRTUAL_ENV"] = str(own)
        elif sys.prefix != sys.base_prefix:
            env["VIRTUAL_ENV"] = sys.prefix
        if self.uid is not None:
            # Its own user cannot write the interpreter's site-packages: what `service.install` installs with
            # pip goes to a folder of its own, first on the service's import path and PATH.
            site = str(self.home / "site-packages")
            env.update(PIP_TARGET=site, PYTHONPATH=site, PIP_DISABLE_PIP_VERSION_CHECK="1")
            env["PATH"] = os.pathsep.join((site + "/bin", str(self.home / ".local" / "bin"), env["PATH"]))
        if "PYTHONPATH" in extra and "PYTHONPATH" in env:  # the service's own folders first, then its pip folder
            extra = {**extra, "PYTHONPATH": extra["PYTHONPATH"] + os.pathsep + env["PYTHONPATH"]}
        env.update(extra)
        return {k: v for k, v in env.items() if not k.startswith(_NEVER)}

    def argv(self, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
        """The command line that starts `argv` in the sandbox (with `env`, the environment it will get).

        When the interpreter or the virtualenv lies below a folder other users cannot pass (a pyenv under
        /root, a clone in a 0700 `mktemp -d`), the service first enters a mount namespace of its own, where
        each such folder is an empty tmpfs with only the entry leading to them bound back in, read-only (so
        the rest of root's home is not even visible), then drops to the sandbox's user (util-linux `unshare`
        and `setpriv`). Folders of the service's own `PYTHONPATH` (service.env) below a closed folder are
        bound back the same way, each on its own: a user's `PYTHONPATH: /root/.cache/deps` is readable,
        the rest of `/root/.cache` is not."""
        if "/" not in argv[0] and shutil.which(argv[0], path=self.env({})["PATH"]) is None:
            raise NotFound(argv[0])  # said before any wrapper runs: `command not found`, not an exit code
        if self.reopen is None or self.uid is None:
            return argv
        groups: dict[str, list[str]] = {}
        for folder, entry in self.reopen:
            groups.setdefault(folder, []).append(entry)
        args: list[str] = []
        for folder, entries in groups.items():
            extra = _entries_below(folder, (env or {}).get("PYTHONPATH", ""), entries)
            args += [folder, str(len(entries) + len(extra)), *entries, *extra]
        # per closed folder: its entries bound aside, an empty tmpfs over the folder, the entries bound back
        # read-only; then the sandbox's user
        script = (
            r'set -e; umask 022; k="$1" u="$2" g="$3"; shift 3; mount --make-rprivate /; j=0; '
            r'while [ $j -lt $g ]; do c="$1" n="$2"; shift 2; m=1; '
            r'while [ $m -le $n ]; do eval "e=\"\${$m}\""; mkdir -p "$k/$j.$m"; mount --bind "$c/$e" "$k/$j.$m"; '
            r"m=$((m+1)); done; "
            r'mount -t tmpfs -o mode=0755 authgate "$c"; m=1; '
            r'while [ $m -le $n ]; do eval "e=\"\${$m}\""; mkdir -p "$c/$e"; mount --bind "$k/$j.$m" "$c/$e"; '
            r'mount -o remount,bind,ro "$c/$e"; m=$((m+1)); done; shift $n; j=$((j+1)); done; '
            r'umask 077; exec setpriv --reuid="$u" --regid="$u" --clear-groups -- env -u PWD "$@"'
        )
        keep = str(self.base / "keep")
        wrapper = ["unshare", "--mount", "--", "sh", "-c", script, "authgate-sandbox"]
        return [*wrapper, keep, str(self.uid), str(len(groups)), *args, *argv]

    def popen_kwargs(self) -> dict[str, Any]:
        """What `subprocess.Popen` needs to start a process in the sandbox: its own session and user (given
        up by `argv`'s wrapper instead, when it has to mount first)."""
        kw: dict[str, Any] = {"start_new_session": True}
        if self.uid is not None:
            kw["umask"] = 0o077
            if self.reopen is None:
                kw.update(user=self.uid, group=self.gid, extra_groups=[])
        return kw

    def close(self) -> None:
        """Kill everything the sandbox started, then remove its files."""
        if self.uid is not None:
            uid = self.uid
            kill_all(lambda table: {pid for pid, (_, owner) in table.items() if owner == uid})
        before, me = self._before, os.getpid()
        kill_all(lambda table: descendants(me, table) - before - _gate_owned(table, before))
        for name, (path, content) in self._commands.items():  # nothing of the service runs any more
            if _read(path) != content:
                self.tampered.append(name)
                path.write_bytes(content)
        shutil.rmtree(self.base, ignore_errors=True)


# The runner's file commands: a line appended to one sets a step output, an environment variable of later
# steps (a SARIF upload holding security-events: write), PATH, or the job summary.
_FILE_COMMANDS = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE")
_MAX_COMMAND_FILE = 16 << 20


def _read(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(_MAX_COMMAND_FILE + 1)
    except OSError:
        return None


def _file_commands() -> dict[str, tuple[Path, bytes]]:
    """What the runner's file-command files hold before the service starts. Another user cannot write them
    (they are the runner's); where the service runs as the gate's own user, whatever it appended is taken
    out again when it has stopped, and the scan says so."""
    out = {}
    for name in _FILE_COMMANDS:
        value = os.environ.get(name)
        content = _read(Path(value)) if value else None
        if value and content is not None and len(content) <= _MAX_COMMAND_FILE:
            out[name] = (Path(value), content)
    return out


def _gate_owned(table: dict[int, tuple[int, int]], before: set[int]) -> set[int]:
    """The descendants of processes that were there before the sandbox (a test's DynamoDB Local)."""
    out: set[int] = set()
    for pid in before:
        out |= descendants(pid, table)
    return out


def _free_uid() -> int:
    while True:
        uid = secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0]) + _UID_RANGE[0]
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


def _unreachable_by_others(paths: list[Path]) -> tuple[str, str] | None:
    """(folder, entry): the first folder on the way to one of `paths` that other users cannot pass (no
    `o+x`), and the entry of it that leads on; None when every path is open."""
    for path in paths:
        chain = [*reversed(path.parents), path]
        for folder, nxt in itertools.pairwise(chain):
            try:
                if not os.stat(folder).st_mode & stat.S_IXOTH:
                    return str(folder), nxt.name
            except OSError:
                return str(folder), nxt.name
    return None


def _entries_below(closed: str, pythonpath: str, entries: list[str]) -> list[str]:
    """The folders of a `PYTHONPATH` that lie below `closed` (relative to it), but not within `entries`."""
    out: list[str] = []
    for part in pythonpath.split(os.pathsep):
        path = Path(part)
        if not path.is_absolute() or not path.is_dir() or not path.resolve().is_relative_to(closed):
            continue
        rel = str(path.resolve().relative_to(closed))
        if rel != "." and not any(Path(rel).is_relative_to(e) for e in entries) and rel not in out:
            out.append(rel)
    return out


def _reopening(shut: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """`shut` when the service can be started in a mount namespace that opens each of its folders (root,
    util-linux, a kernel that allows one here: tried once); None otherwise."""
    folders = {Path(f) for f, _ in shut}
    for folder, entry in shut:
        if _unreachable_by_others([Path(folder) / entry]) not in (None, (folder, entry)):
            return None  # a second closed folder further down: not handled
        if any(other != Path(folder) and Path(folder).is_relative_to(other) for other in folders):
            return None  # one closed folder inside another: the tmpfs over the outer one would hide it
    if not (shutil.which("unshare") and shutil.which("setpriv")):
        return None
    try:
        ok = subprocess.run(["unshare", "--mount", "true"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return shut if ok else None


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def _ignore_and_link_venvs(src_root: Path, dst_root: Path) -> Any:
    """copytree's `ignore`: skip caches and .git; a virtualenv is linked (read-only for the uid), not copied."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set(_COPY_IGNORED(folder, names))
        for name in names:
            path = Path(folder) / name
            if name not in skipped and not path.is_symlink() and path.is_dir() and _is_venv(path):
                target = dst_root / path.relative_to(src_root)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(path.resolve(), target_is_directory=True)
                skipped.add(name)
        return skipped

    return ignore


def _tree_size(root: Path, cap: int) -> int:
    total = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git" and not _is_venv(Path(folder) / d)]
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            if total > cap:
                return total
    return total


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    os.chown(top, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)
