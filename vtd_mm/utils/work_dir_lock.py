"""One training run per work dir."""
import os
import os.path as osp
import time

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs are not guarded there
    fcntl = None

LOCK_NAME = '.train.lock'


class WorkDirInUse(RuntimeError):
    """Another running process holds the work dir."""


def launcher_rank(launcher: str) -> int:
    """This process's global rank as the launcher sets it in the environment
    (0 without a launcher)."""
    if launcher == 'none':
        return 0
    name = dict(slurm='SLURM_PROCID', mpi='OMPI_COMM_WORLD_RANK').get(launcher, 'RANK')
    return int(os.environ.get(name, 0))


def hold_work_dir(work_dir: str):
    """Take ``work_dir`` for this process: an exclusive lock on
    ``work_dir/.train.lock``, held until the process ends.

    The lock is the operating system's (``flock``): a run that crashes or is
    killed releases it with its last file descriptor, so nothing stays stuck
    and there is no stale file to delete by hand. Returns the open lock file,
    which must be kept referenced for as long as the run lasts.

    Raises:
        WorkDirInUse: another process holds the lock (the message names its
            pid and start time).
    """
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    lock = open(path, 'a+')
    if fcntl is None:
        return lock
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or 'another process'
        lock.close()
        raise WorkDirInUse(
            f'work dir {work_dir} is in use by a running training ({holder}); its '
            'checkpoints and log would be mixed with this run\'s. Wait for it to end, '
            'or give another --work-dir.') from None
    lock.seek(0)
    lock.truncate()
    lock.write(f'pid {os.getpid()}, started {time.strftime("%Y-%m-%d %H:%M:%S")}\n')
    lock.flush()
    return lock
