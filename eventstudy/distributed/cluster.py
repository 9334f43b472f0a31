"""The Dask cluster a study runs on: ``local[:N]``, a scheduler address, or a client given.

``local`` starts a :class:`distributed.LocalCluster` of this machine (one single-threaded
worker process per core; ``local:N`` for N of them) for the run and stops it after;
an address (``tcp://10.0.0.5:8786``, ``tls://...``, or a scheduler file's path ending in
``.json``) connects to a running cluster — a SLURM or PBS job started with dask-jobqueue, a
Kubernetes deployment — and leaves it running. Dask is the optional extra ``dask``
(``pip install 'eventstudy-backtester[dask]'``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import socket
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.errors import STOP_SIGNALS, EventStudyError, InputError, SignalHandler, signals_handled
from eventstudy.logs import quieted
from eventstudy.text import plain

if TYPE_CHECKING:
    from distributed import Client, Future

WORKER_PACKAGES: tuple[str, ...] = ("arch", "numpy", "pandas", "patsy", "pyarrow", "scipy", "statsmodels")
"""The libraries that compute or read a study's numbers: a worker must run the driver's versions."""
INSTALL = "pip install 'eventstudy-backtester[dask]'"
CONNECT_TIMEOUT = "30s"
"""How long to wait for a scheduler address (a batch job's scheduler may still be starting)."""
FILE_TIMEOUT = 30.0
"""Seconds to wait for a scheduler file to appear (a batch job's scheduler may still be starting);
Dask itself would wait for it forever."""
HANDSHAKE_TIMEOUT = 10.0
"""Seconds a TCP scheduler address has to send its first bytes: a Dask scheduler writes its
handshake as it accepts a connection, and Dask reads the peer's with no timeout at all (an HTTP
server, or the dashboard's port 8787 typed for 8786, hung the run for ever; a finder)."""
WORKER_TIMEOUT = 300.0
"""Seconds to wait for a first worker to join a scheduler reached by address, and for one to come
back while the run waits for a task with none there (a batch cluster's workers may queue)."""
LOCAL_WORKER_TIMEOUT = 60.0
"""Seconds a local cluster may have no worker while the run waits for a task: a worker that died
is restarted by its nanny in seconds; one whose nanny gave up never comes back, and the run
waited for ever with its tasks queued (a finder killed the workers every 0.3 s)."""
CHECK_TIMEOUT = 60.0
"""Seconds a worker has to report its code (:class:`Watch`): a suspended one never does."""
POLL_SECONDS = 1.0
"""How often the driver, waiting for a task, asks the scheduler whether any worker is left."""
WORKERS_PER_CORE = 4
"""``local:N`` starts at most this many single-threaded worker processes per core of this
machine (a cluster of more workers is reached by its address)."""
SCHEDULER_LOST = "the Dask cluster failed: the connection to its scheduler was lost (has it stopped?)"
_STARTED: weakref.WeakSet[Client] = weakref.WeakSet()
"""The clients of the local clusters :func:`connect` started (:class:`Watch`'s patience)."""
_LOCAL = re.compile(r"local(?::([0-9]+))?")  # ASCII digits: "local:٢" ran two workers


class ClusterError(EventStudyError):
    """The Dask cluster failed during the run (a worker died, the scheduler went away)."""


def require_dask() -> None:
    """Raise a one-line :class:`InputError` naming the extra to install when Dask is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("--scheduler", f"running on Dask needs the dask extra: {INSTALL}") from None


def parse_scheduler(spec: str) -> tuple[str, int | None]:
    """``("local", N)`` for ``local`` (N None: one worker per core) or ``local:N``, else
    ``("address", None)``.

    Raises
    ------
    InputError
        For ``local:0``, ``local:x``, more local workers than :data:`WORKERS_PER_CORE` per core
        of this machine, an empty spec, or a folder or file not named ``*.json``.
    """
    text = spec.strip()
    if not text:
        raise InputError("--scheduler", "give local, local:N or a scheduler address such as tcp://host:8786")
    if text.lower() == "local" or text.lower().startswith("local:"):  # localhost:8786 is an address
        match = _LOCAL.fullmatch(text.lower())  # LOCAL tried to reach a host of that name
        digits = None if match is None or match.group(1) is None else match.group(1).lstrip("0")  # 0002 is 2
        if match is None or digits == "":  # local:0
            raise InputError("--scheduler", f"{spec!r}: write local, or local:N with N >= 1 worker processes")
        # int() of over 4,300 digits raises ValueError (a traceback): such a count is too many anyway
        workers = None if digits is None else int(digits) if len(digits) <= 9 else 10**9
        cores = os.cpu_count() or 1
        if workers is not None and workers > WORKERS_PER_CORE * cores:
            raise InputError(
                "--scheduler",
                f"{spec!r}: local:N starts N worker processes on this machine, at most "
                f"{WORKERS_PER_CORE} per core ({WORKERS_PER_CORE * cores} for its {cores}); "
                "give a cluster's address for more",
            )
        return "local", workers
    path_like = "/" in text or os.path.isdir(text)  # a host:port named like a file here is an address
    if "://" not in text and not text.lower().endswith(".json") and path_like:
        # Dask said "missing port number in address"
        what = (
            f"is a {'folder' if os.path.isdir(text) else 'file'}, not a scheduler"
            if os.path.lexists(text)
            else "is no scheduler address and no file here"
        )
        raise InputError(
            "--scheduler",
            f"{spec!r} {what}: give the scheduler file Dask wrote (*.json) or an address such as "
            "tcp://host:8786",
        )
    return "address", None


@contextmanager
def _start_held() -> Iterator[None]:
    """While a local cluster starts: SIGINT and SIGHUP ignored (its worker processes keep the
    dispositions, so a terminal's Ctrl-C or hang-up reaches only the driver, which stops them;
    one during the start is not seen), and SIGTERM deferred to the handler before, once the
    start has returned (the command line's raises KeyboardInterrupt, and the cluster is closed
    as the study's): a kill during the start raised inside distributed's start, left the
    cluster half made and its exit hook printing tracebacks (a finder)."""
    received: list[int] = []
    handlers: dict[signal.Signals, SignalHandler] = {
        number: signal.SIG_IGN for number in STOP_SIGNALS if number != signal.SIGTERM
    }
    handlers[signal.SIGTERM] = lambda number, frame: received.append(number)
    with signals_handled(handlers):
        yield
    if received:
        signal.raise_signal(received[0])


@contextmanager
def connect(scheduler: str | os.PathLike[str] | Client) -> Iterator[Client]:
    """A :class:`distributed.Client` for ``scheduler`` (see the module docstring), closed (and
    its local cluster stopped) on exit; a client given is used as it is and left open.

    Raises
    ------
    InputError
        When Dask is not installed, the spec is malformed or the scheduler cannot be reached.
    """
    require_dask()
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if isinstance(scheduler, os.PathLike):  # a scheduler file as a pathlib.Path
        scheduler = os.fspath(scheduler)
    if not isinstance(scheduler, str):  # None was used as a client: AttributeError 'scheduler_info'
        raise InputError(
            "scheduler",
            f"{scheduler!r}: give 'local', 'local:N', a scheduler address or file, or a distributed.Client",
        )

    kind, n_workers = parse_scheduler(scheduler)
    if kind == "local":
        workers = n_workers or os.cpu_count() or 1
        cluster_args: dict[str, Any] = {
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": ":0",  # any free port: two studies at once must not collide
            # Dask's own log lines stay off the terminal, as yfinance's do: a failure reaches the
            # command as one line (ClusterError), and a Ctrl-C's shutdown printed the scheduler's,
            # nannies' and workers' warnings and errors before the command's line.
            "silence_logs": logging.CRITICAL,
        }
        with ExitStack() as stack:
            stack.enter_context(_quiet_logs())
            with _start_held():
                try:
                    cluster = stack.enter_context(LocalCluster(**cluster_args))
                except (RuntimeError, OSError, TimeoutError) as exc:  # a worker killed as it started
                    message = str(exc).splitlines()[0] if str(exc) else ""
                    raise ClusterError(
                        f"the local Dask cluster did not start: {type(exc).__name__}: {message}"
                    ) from None
            client = stack.enter_context(Client(cluster))
            _STARTED.add(client)
            yield client
        return
    address = scheduler.strip()
    try:
        if address.endswith(".json"):
            _wait_for_file(Path(address))
            _probe_scheduler(_check_scheduler_file(Path(address)))
            client = Client(scheduler_file=address, timeout=CONNECT_TIMEOUT)
        else:
            _probe_scheduler(address)
            client = Client(address, timeout=CONNECT_TIMEOUT)
    # TypeError: a protocol Dask cannot open as given (ucx:// without ucx, tls:// without certificates)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError("--scheduler", f"cannot reach the Dask scheduler at {address} ({exc})") from None
    except MemoryError:  # a banner read as a frame's length (an SSH server: 3 EiB to allocate)
        raise InputError(
            "--scheduler", f"{address} is not a Dask scheduler: its first bytes are no Dask handshake"
        ) from None
    with _quiet_logs(), client:
        try:  # the partitions are planned for the workers there: wait for one to join
            client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
        except TimeoutError:
            raise InputError(
                "--scheduler", f"no Dask worker joined the scheduler at {address} in {WORKER_TIMEOUT:g} s"
            ) from None
        yield client


def _quiet_logs() -> AbstractContextManager[None]:
    """Dask's own log lines off the terminal while a client this module made is open (a local
    cluster's ``silence_logs`` leaves ``distributed.client``'s own handler on): a scheduler
    stopping mid-run printed the client's 40-line reconnection traceback before the command's
    one line. A client given is the user's, and so are its logs."""
    # every logger of Dask's: distributed.client has its own level and handler
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] == "distributed"]
    return quieted(logging.getLogger(name) for name in ["distributed", *names])


def failure(exc: BaseException) -> ClusterError:
    """The one-line :class:`ClusterError` for an exception Dask raised during a run."""
    if "scheduler-connection-lost" in str(exc):  # Dask's words span five lines and end in task keys
        return ClusterError(SCHEDULER_LOST)
    return ClusterError(f"the Dask cluster failed: {type(exc).__name__}: {plain(exc)}")


def _probe_scheduler(address: str) -> None:
    """Refuse a TCP address that accepts a connection but sends nothing within
    :data:`HANDSHAKE_TIMEOUT` seconds (see there), or closes it at once; an address that cannot be
    connected to, or of another protocol (TLS waits for the client), is left to Dask's connect."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        return  # Dask's connect says what is wrong with it
    if scheme != "tcp" or not port:
        return
    try:
        with socket.create_connection((host, int(port)), timeout=HANDSHAKE_TIMEOUT) as probe:
            probe.settimeout(HANDSHAKE_TIMEOUT)
            first = probe.recv(1)
    except TimeoutError:
        raise InputError(
            "--scheduler",
            f"{address} accepts connections but sent no Dask handshake in {HANDSHAKE_TIMEOUT:g} s: not a "
            "Dask scheduler (the dashboard's port? a scheduler listens on 8786 unless told otherwise)",
        ) from None
    except OSError:
        return  # refused or unreachable: Dask's connect retries until CONNECT_TIMEOUT, then says so
    if not first:
        raise InputError("--scheduler", f"{address} closed the connection without a Dask handshake")


def _check_scheduler_file(path: Path) -> str:
    """The scheduler's address in a scheduler file; refuse one that is not Dask's: a JSON object
    with the scheduler's ``address`` (Dask asserted it, or indexed a list: tracebacks)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # json recurses: nesting
        raise InputError(str(path), f"not a Dask scheduler file ({exc})", field="--scheduler") from None
    if not isinstance(document, dict) or not isinstance(document.get("address"), str):
        raise InputError(
            str(path),
            'not a Dask scheduler file: a JSON object with the scheduler\'s "address" (dask scheduler '
            "--scheduler-file writes one)",
            field="--scheduler",
        )
    return str(document["address"])


def _wait_for_file(path: Path) -> None:
    """Wait up to :data:`FILE_TIMEOUT` seconds for a scheduler file to appear, then raise."""
    deadline = time.monotonic() + FILE_TIMEOUT
    while not path.is_file():
        if path.exists():  # a folder named x.json waited the whole timeout to say "no file"
            said = f"{path} is not a file (a scheduler file is the JSON Dask writes)"
            raise InputError("--scheduler", said)
        if time.monotonic() >= deadline:
            raise InputError("--scheduler", f"no scheduler file at {path} after {FILE_TIMEOUT:g} s")
        time.sleep(0.1)


@contextmanager
def in_process() -> Iterator[Client]:
    """A one-worker, one-thread cluster inside this process (``eventstudy verify``'s re-run:
    a partitioned study's numbers do not depend on the cluster)."""
    require_dask()
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


class Watch:
    """The run's watch over its cluster: the workers whose code was found to be the driver's
    (:meth:`check`), and :meth:`result`, which waits for a task while checking the workers that
    join and that some worker and the scheduler are still there.

    A worker joins, say, when a batch job replaces one that ended: one started from another
    environment computed its partitions with its own code (a finder). A worker that joins,
    computes and leaves between two of the driver's looks is not seen.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.identity = code_identity()
        self.checked: set[str] = set()
        # 1 minute for the local cluster this module started, whose nannies restart a dead worker
        # in seconds; a cluster given or reached by address may queue its workers' jobs (a
        # SLURMCluster given as a client was stopped after a minute; a finder).
        self.patience = LOCAL_WORKER_TIMEOUT if client in _STARTED else WORKER_TIMEOUT
        self.check()

    def check(self) -> int:
        """Check the code of every worker process not checked yet (each by its own id: one
        restarted at a checked address is another worker; a finder's, of other code on a fixed
        port, wrote CARs 0.01 off); the number of workers.

        Raises
        ------
        InputError
            Naming the first worker (by address) whose code differs, or that cannot say.
        ClusterError
            When the scheduler is gone, the cluster has not answered for :attr:`patience` seconds,
            or a worker has not reported its code in :data:`CHECK_TIMEOUT` seconds.
        """
        try:  # a frozen scheduler or worker (a suspended node) never answers: Dask waits for ever
            ids = self.client.run(_worker_id, on_error="return", callback_timeout=self.patience)
        except TimeoutError:
            raise ClusterError(
                f"the Dask cluster has not answered for {self.patience:g} s (a scheduler or worker "
                "suspended or cut off?)"
            ) from None
        except OSError:  # CommClosedError: the scheduler stopped
            raise ClusterError(SCHEDULER_LOST) from None
        for address, worker in sorted(ids.items()):
            if isinstance(worker, str) and worker in self.checked:
                continue
            try:  # one at a time: a timeout names its worker
                answer = self.client.run(
                    code_identity, workers=[address], on_error="return", callback_timeout=CHECK_TIMEOUT
                ).get(address)
            except TimeoutError:
                raise ClusterError(
                    f"the Dask worker at {address} did not report its code in {CHECK_TIMEOUT:g} s (is it "
                    "suspended?)"
                ) from None
            if answer is None or isinstance(answer, OSError):  # gone meanwhile: it computes nothing
                continue
            problem = _identity_problem(self.identity, answer)
            if problem:  # an older eventstudy has no _worker_id: its answer was an error, and so is this
                raise InputError("--scheduler", f"the Dask worker at {address} {problem}")
            if isinstance(worker, str):
                self.checked.add(worker)
        return len(ids)

    def result(self, future: Future) -> Any:
        """``future.result()``, checking the workers that joined (:meth:`check`) while it waits and
        once it is done, before its result is taken; a :class:`ClusterError` once the cluster has
        had no worker for :attr:`patience` seconds while the task waits: Dask keeps a task without
        a worker queued for ever.

        Raises
        ------
        ClusterError
            When no worker has been connected for that long, or the scheduler is gone.
        """
        from distributed import wait

        alone_since: float | None = None
        while True:
            try:
                wait(future, timeout=POLL_SECONDS)  # not result(timeout=...): a task may raise TimeoutError
            except TimeoutError:
                if self.check():
                    alone_since = None
                    continue
                now = time.monotonic()
                alone_since = now if alone_since is None else alone_since
                if now - alone_since >= self.patience:
                    raise ClusterError(
                        f"the Dask cluster has had no worker for {self.patience:g} s with tasks waiting "
                        "(did its workers die?)"
                    ) from None
                continue
            self.check()  # its result may come from a worker that joined since the last look
            return future.result()


def _worker_id(dask_worker: Any) -> str:
    """The id of the worker process this runs in (Dask passes ``dask_worker``)."""
    return str(dask_worker.id)


def code_identity() -> dict[str, str]:
    """What every worker must share with the driver: a hash of the eventstudy package's modules
    (the regular files ``name.py`` in folders ``name``, by relative path: not an editor's lock
    link ``.#study.py``, which dangles, nor a notebook's checkpoints) and the versions of
    :data:`WORKER_PACKAGES`."""
    import eventstudy

    root = Path(eventstudy.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if not all(part.removesuffix(".py").isidentifier() for part in parts) or not path.is_file():
            continue
        try:
            digest.update("/".join(parts).encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError as exc:  # an unreadable module: no source to vouch for
            return {"eventstudy source": f"unreadable ({plain(exc)})"}
    identity = {"eventstudy source": f"sha256 {digest.hexdigest()[:12]}"}
    for name in WORKER_PACKAGES:
        try:
            identity[name] = version(name)
        except PackageNotFoundError:
            identity[name] = "not installed"
    return identity


def _identity_problem(mine: dict[str, str], theirs: object) -> str:
    """What a worker's :func:`code_identity` answer ``theirs`` says against the driver's ``mine``
    ("" when it is the same code)."""
    if isinstance(theirs, BaseException):  # eventstudy not installed there, an import failing
        return f"could not report its code ({type(theirs).__name__}: {plain(theirs)})"
    if not isinstance(theirs, dict):
        return f"could not report its code (it answered {type(theirs).__name__})"
    for name, here in mine.items():
        there = theirs.get(name, "not reported")
        if there != here:
            return (
                f"runs other code than this command: {name} {there} there, {here} here (every worker "
                "must run the driver's versions)"
            )
    return ""


def n_workers(client: Client) -> int:
    """Workers connected now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))
