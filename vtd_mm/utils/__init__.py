from .config_literals import NotALiteral, read_assignment

__all__ = ['NotALiteral', 'read_assignment']
