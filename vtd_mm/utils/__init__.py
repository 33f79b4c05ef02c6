from .config_literals import NotALiteral, read_assignment
from .safe_output import OutputRefused, check_output, write_atomically

__all__ = ['NotALiteral', 'OutputRefused', 'check_output', 'read_assignment',
           'write_atomically']
