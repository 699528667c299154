"""The sandbox the `local` connector runs each job in: bubblewrap (`bwrap`) namespaces.

A job sees a read-only system (`/usr` and a few files of `/etc`), a fresh `/proc` of its own
PID namespace, a minimal `/dev`, an empty `/tmp`, and its own work directory (`/job`, read-write)
and nothing else: not the data directory (database, secret key, other jobs), not `/root`,
`/home`, the host's `/tmp` or the code. It has no network unless the factory allows it, an
empty environment plus what it asked for, and an unprivileged uid: as a normal user, bwrap
maps it in a user namespace; as root, bwrap sets the namespaces up and `setpriv` drops to the
uid, every capability and new privileges before the job's first instruction. When the
job's first process ends, the kernel ends every process of its PID namespace; when `bwrap`
dies (walltime, cancel), `--die-with-parent` ends the namespace too. docs/security.md says
why each flag is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings as django_settings

DEFAULT_BWRAP = "/usr/bin/bwrap"
SANDBOX_UID = 65534  # nobody
JOB_DIR = "/job"  # where the job's work directory appears inside the sandbox
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What of /etc a job needs (libraries, names, time zone, TLS, DNS); never all of /etc, which
# holds host keys, /etc/shadow and the slurmrest token files.
ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "localtime",
               "timezone", "alternatives", "ssl", "ca-certificates", "ca-certificates.conf",
               "hosts", "host.conf", "resolv.conf", "os-release", "mime.types")
SETPRIV = "/usr/bin/setpriv"  # util-linux, run inside the sandbox when Antenna is root
SANDBOX_TMP = "/tmp"  # noqa: S108 - a fresh tmpfs inside the sandbox, not the host's /tmp
PROBE_TIMEOUT_SECONDS = 20
_working: set[tuple[str, str]] = set()  # (bwrap, root) pairs that passed the probe


def bwrap_path() -> str:
    """The bwrap binary: ANTENNA_BWRAP (tests point it at a missing file), else /usr/bin/bwrap."""
    return str(getattr(django_settings, "ANTENNA_BWRAP", "") or DEFAULT_BWRAP)


def drops_privileges() -> bool:
    """Antenna runs as root: jobs must run under an unprivileged uid instead."""
    return os.geteuid() == 0


@dataclass(frozen=True)
class Sandbox:
    """One job's sandbox: its work directory, its uid, whether it may use the network."""

    work_dir: Path
    etc_dir: Path  # holds the sandbox's own passwd and group files
    hostname: str
    uid: int = SANDBOX_UID
    network: bool = False

    def argv(self, command: Iterable[str], environment: Mapping[str, str]) -> list[str]:
        """The command line that runs `command` in the sandbox with exactly `environment`."""
        as_root = drops_privileges()
        argv = [bwrap_path()]
        if as_root:
            # No user namespace (its only mapping would make the job root outside); the
            # sandbox keeps just what setpriv needs to drop to the job's uid.
            argv += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
            if not self.network:
                argv.append("--unshare-net")
            argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                     "--cap-add", "CAP_SETPCAP", "--cap-add", "CAP_DAC_READ_SEARCH"]
        else:
            argv.append("--unshare-all")  # user, PID, mount, IPC, UTS, cgroup, network
            if self.network:
                argv.append("--share-net")
            argv += ["--cap-drop", "ALL", "--uid", str(self.uid), "--gid", str(self.uid)]
        argv += ["--die-with-parent", "--new-session", "--hostname", self.hostname]
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                argv += ["--ro-bind", path, path]
        for name in ETC_ENTRIES:
            if os.path.exists(f"/etc/{name}"):
                argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        argv += ["--ro-bind", str(self.etc_dir / "passwd"), "/etc/passwd",
                 "--ro-bind", str(self.etc_dir / "group"), "/etc/group",
                 "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", SANDBOX_TMP]
        for hidden in hidden_paths():
            argv += ["--tmpfs", str(hidden)]
        argv += ["--bind", str(self.work_dir), JOB_DIR, "--chdir", JOB_DIR, "--clearenv"]
        for key, value in environment.items():
            argv += ["--setenv", key, value]
        argv.append("--")
        if as_root:
            argv += [SETPRIV, f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return [*argv, *command]

    def environment(self, requested: Mapping[str, str]) -> dict[str, str]:
        """What a job's environment holds: a sane base, then what the job asked for."""
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": JOB_DIR, "USER": "job",
                "LOGNAME": "job", "TMPDIR": SANDBOX_TMP, "LANG": "C.UTF-8", **requested}

    def prepare(self) -> None:
        """Hand the work directory to the sandbox's uid; write the sandbox's passwd and group."""
        self.etc_dir.mkdir(parents=True, exist_ok=True)
        (self.etc_dir / "passwd").write_text(
            f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"job:x:{self.uid}:{self.uid}:Antenna job:{JOB_DIR}:/bin/bash\n")
        (self.etc_dir / "group").write_text(f"root:x:0:\njob:x:{self.uid}:\n")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if drops_privileges():
            for path in (self.work_dir, *self.work_dir.iterdir()):
                os.chown(path, self.uid, self.uid)
        self.work_dir.chmod(0o700)


def hidden_paths() -> list[Path]:
    """Antenna's own files that sit under a directory the sandbox shows: covered by a tmpfs.

    The data directory, the database, the code and its virtualenv normally live elsewhere
    (and so are simply absent); this covers installs that put them under /usr or /etc.
    """
    shown = [Path(p).resolve() for p in (*SYSTEM_DIRS, *(f"/etc/{n}" for n in ETC_ENTRIES))
             if os.path.isdir(p)]
    candidates = [Path(django_settings.DATA_DIR), Path(django_settings.BASE_DIR).parent,
                  Path(sys.prefix)]
    database = django_settings.DATABASES.get("default", {})
    if "sqlite" in str(database.get("ENGINE", "")):
        candidates.append(Path(str(database.get("NAME", ""))).parent)
    out: list[Path] = []
    for path in (p.resolve() for p in candidates):
        if path.is_dir() and any(path != top and path.is_relative_to(top) for top in shown):
            out.append(path)
    return out


def sandbox_problem(root: Path) -> str | None:
    """Why jobs could not run isolated under `root` (None: they can). Runs bwrap once."""
    bwrap = bwrap_path()
    key = (bwrap, str(root))
    if key in _working:
        return None
    if not os.access(bwrap, os.X_OK):
        return (f"bubblewrap ({bwrap}) is not installed: jobs cannot be isolated "
                "(apt-get install bubblewrap)")
    probe = Sandbox(work_dir=root / "probe" / "work", etc_dir=root / "sandbox",
                    hostname="probe")
    try:
        probe.prepare()
        result = subprocess.run(  # noqa: S603 - fixed arguments, nothing shell-parsed
            probe.argv(["/bin/sh", "-c", f"test -w {JOB_DIR}"], probe.environment({})),
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=PROBE_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap ({bwrap}) does not work here: {exc}"
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[:300] or f"exit {result.returncode}"
        return f"bubblewrap ({bwrap}) does not work here: {detail}"
    _working.add(key)
    return None
