"""The package's imports run one way: ground -> models -> engine -> apis -> demo.

Read from the source (the syntax tree), so that an import added anywhere, at
module level or inside a function, is seen without running it.
"""
import ast
import os

import pytest

from .paths import ROOT  # noqa: E402

PACKAGE = os.path.join(ROOT, 'vtd_mm')
# ground: compatibility fixes, helpers, data, drawing and metrics
TIERS = {'compat': 0, 'utils': 0, 'datasets': 0, 'visualization': 0, 'evaluation': 0,
         'models': 1, 'engine': 2, 'apis': 3, 'demo': 4}


def modules():
    """(path relative to the package as a tuple of parts, syntax tree) of every module."""
    found = []
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                parts = tuple(os.path.relpath(path, PACKAGE)[:-3].split(os.sep))
                found.append((parts, ast.parse(open(path, encoding='utf-8').read(), path)))
    return found


def imported(parts, node):
    """The vtd_mm modules an import names, as tuples of parts (() for
    ``vtd_mm`` itself); [] for other libraries."""
    if isinstance(node, ast.Import):
        return [tuple(a.name.split('.')[1:]) for a in node.names
                if a.name.split('.')[0] == 'vtd_mm']
    if node.level == 0:
        if (node.module or '').split('.')[0] != 'vtd_mm':
            return []
        return [tuple(node.module.split('.')[1:])]
    package = parts[:-1]
    base = package[:len(package) - (node.level - 1)]
    if node.module:
        return [base + tuple(node.module.split('.'))]
    return [base + (a.name, ) for a in node.names]  # from .. import models


def imports_of(parts, tree):
    """(line, target parts, inside a function or class) of every vtd_mm import."""
    found = []

    def visit(node, nested):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.extend((child.lineno, target, nested) for target in imported(parts, child))
            visit(child, nested or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    visit(tree, False)
    return found


MODULES = modules()


def test_every_subpackage_has_a_tier():
    subpackages = {p[0] for p, _ in MODULES if len(p) > 1 or p[0] == 'compat'}
    assert subpackages == set(TIERS), subpackages ^ set(TIERS)


@pytest.mark.parametrize('parts, tree', MODULES, ids=['.'.join(p) for p, _ in MODULES])
def test_imports_run_down_and_at_module_level(parts, tree):
    where = 'vtd_mm/' + '/'.join(parts) + '.py'
    if parts in (('__init__', ), ('version', )):
        return  # the package itself gathers the subpackages
    own = parts[0]
    for line, target, nested in imports_of(parts, tree):
        assert target, f'{where}:{line}: imports vtd_mm itself; import the subpackage it needs'
        assert not nested, (f'{where}:{line}: imports vtd_mm.{".".join(target)} inside a '
                            'function or class; imports belong at module level')
        if target[0] != own:
            assert TIERS[target[0]] <= TIERS[own], (
                f'{where}:{line}: {own} (tier {TIERS[own]}) imports {target[0]} '
                f'(tier {TIERS[target[0]]}), a higher layer')


def test_no_cycle_between_subpackages():
    edges = {}
    for parts, tree in MODULES:
        if len(parts) > 1 or parts[0] == 'compat':
            for _, target, _ in imports_of(parts, tree):
                if target and target[0] != parts[0]:
                    edges.setdefault(parts[0], set()).add(target[0])

    def reach(start, node, seen):
        for nxt in edges.get(node, ()):
            if nxt == start:
                return [node, nxt]
            if nxt not in seen:
                seen.add(nxt)
                path = reach(start, nxt, seen)
                if path:
                    return [node] + path
        return None
    for package in edges:
        cycle = reach(package, package, set())
        assert cycle is None, ' -> '.join(cycle)


def test_the_check_sees_an_upward_import():
    tree = ast.parse('from ..apis import recognize\nfrom .. import demo\nimport vtd_mm.utils\n'
                     'import numpy\n\ndef f():\n    from ..engine import x\n')
    found = imports_of(('models', 'head'), tree)
    assert found == [(1, ('apis', ), False), (2, ('demo', ), False), (3, ('utils', ), False),
                     (7, ('engine', ), True)]
