"""Values of a Python config read as data: the syntax tree, never executed.

mmengine writes a run's config into every checkpoint's ``meta['cfg']`` as
Python text. Reading it back with ``Config.fromstring`` would execute that
text, i.e. code from a checkpoint file. Here only literals (strings, numbers,
booleans, None), lists, tuples, ``{...}`` dicts and ``dict(key=value)``
calls are read; anything else (a name, an attribute, another call, an
import) is refused.
"""
import ast
from typing import Any


class NotALiteral(ValueError):
    """A config value that is not plain data."""


def _value(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
            and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_value(n) for n in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotALiteral(f'line {node.lineno}: ** in a dict')
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == 'dict' and not node.args \
            and all(k.arg is not None for k in node.keywords):
        return {k.arg: _value(k.value) for k in node.keywords}
    raise NotALiteral(f'line {getattr(node, "lineno", "?")}: {type(node).__name__} '
                      'is not a literal')


def _entry(node: ast.AST, key: str) -> ast.AST:
    """The value node of ``key`` in a ``dict(...)`` call or ``{...}`` node."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'dict':
        for k in node.keywords:
            if k.arg == key:
                return k.value
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value == key:
                return v
    else:
        raise NotALiteral(f'line {getattr(node, "lineno", "?")}: not a dict')
    raise KeyError(key)


def read_assignment(text: str, name: str, *keys: str) -> Any:
    """The value assigned to top-level ``name`` in config ``text`` (the last
    assignment), or the entry ``keys`` inside it (``'model', 'type'``), read
    without executing anything; the entries beside the path are not read.

    Raises:
        KeyError: ``name`` (or a key) is not there.
        NotALiteral: the value is not plain data.
        SyntaxError: ``text`` is not Python.
    """
    found = None
    for stmt in ast.parse(text).body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            found = stmt.value
    if found is None:
        raise KeyError(name)
    for key in keys:
        found = _entry(found, key)
    return _value(found)
