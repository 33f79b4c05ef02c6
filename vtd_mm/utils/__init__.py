from .checkpoint_file import CheckpointFileError, missing_training_state, read_checkpoint
from .config_literals import NotALiteral, read_assignment
from .finite import listed, non_finite_names
from .npy_rows import NpyRows
from .safe_output import OutputRefused, PendingFile, check_list_file, check_output, write_atomically
from .work_dir_lock import WorkDirInUse, hold_work_dir, launcher_rank

__all__ = ['CheckpointFileError', 'NpyRows', 'missing_training_state', 'read_checkpoint',
           'NotALiteral', 'OutputRefused', 'PendingFile', 'check_list_file', 'check_output',
           'listed',
           'WorkDirInUse', 'hold_work_dir', 'launcher_rank', 'non_finite_names',
           'read_assignment', 'write_atomically']
