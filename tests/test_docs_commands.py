"""Every tool command in README.md and docs/ is typed as it would run: the
script and the repository files it names exist, no placeholder stands in for
an argument, and the tool's own argument parser accepts the line.

The commands are not run to the end (most need a dataset or a GPU); each tool
is run up to its argument parsing, with the arguments of the docs.
"""
import argparse
import glob
import os
import re
import runpy
import shlex
import sys

import pytest

from .paths import ROOT  # noqa: E402

DOCS = ['README.md'] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(
    os.path.join(ROOT, 'docs', '*.md')))
PYTHON = re.compile(r'^(\.venv/bin/)?python3?$')
# words that stand for an argument instead of being one
PLACEHOLDER = re.compile(r'^(\[.*|[A-Z][A-Z0-9_]*(\.\w+|/)?|<.*>)$')
REPO_DIRS = ('configs/', 'tools/', 'vtd_mm/', 'tests/')


def code_blocks(text):
    """(first line number, lines) of each fenced block of shell commands."""
    blocks, current, start, lang = [], None, 0, ''
    for number, line in enumerate(text.splitlines(), start=1):
        fence = re.match(r'\s*```(\w*)', line)
        if fence and current is None:
            current, start, lang = [], number + 1, fence.group(1)
        elif fence:
            if lang in ('', 'bash', 'sh', 'shell'):
                blocks.append((start, current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def commands():
    """(doc, line, argv) of every tool command; loop variables take their first value."""
    found = []
    for doc in DOCS:
        for start, lines in code_blocks(open(os.path.join(ROOT, doc), encoding='utf-8').read()):
            loops = {}
            joined, first = '', None
            for offset, line in enumerate(lines):
                first = start + offset if not joined else first
                joined += line.rstrip('\\').rstrip() + ' ' if line.rstrip().endswith('\\') \
                    else line
                if line.rstrip().endswith('\\'):
                    continue
                text, joined = joined, ''
                loop = re.match(r'\s*for (\w+) in ([^;]+);', text)
                if loop:
                    loops[loop.group(1)] = loop.group(2).split()[0]
                for name, value in loops.items():
                    text = text.replace('${%s}' % name, value).replace('$' + name, value)
                try:
                    argv = shlex.split(text, comments=True)
                except ValueError:
                    continue
                while argv and '=' in argv[0] and not argv[0].startswith('-'):
                    argv = argv[1:]  # VAR=value before the command
                if len(argv) >= 2 and PYTHON.match(argv[0]) and argv[1].startswith('tools/'):
                    found.append((doc, first, argv[1:]))
                elif len(argv) >= 2 and argv[0] == 'bash' and argv[1].startswith('tools/'):
                    found.append((doc, first, argv[1:]))
                elif len(argv) >= 2 and argv[0] == 'make':
                    found.append((doc, first, argv))
    return found


COMMANDS = commands()


class Parsed(Exception):
    """Raised by the patched parser once the tool's arguments are parsed."""


def test_the_docs_hold_tool_commands():
    assert len(COMMANDS) >= 40
    tools = {argv[0] for _, _, argv in COMMANDS}
    assert {'tools/train.py', 'tools/test.py', 'tools/infer.py', 'tools/dist_train.sh',
            'make'} <= tools


@pytest.mark.parametrize('doc, line, argv', COMMANDS,
                         ids=[f'{d}:{n}' for d, n, _ in COMMANDS])
def test_command_runs_as_written(doc, line, argv, monkeypatch):
    where = f'{doc}:{line}: {" ".join(argv)}'
    if argv[0] == 'make':
        targets = re.findall(r'^([\w-]+):', open(os.path.join(ROOT, 'Makefile')).read(), re.M)
        assert set(argv[1:]) <= set(targets), f'{where}: Makefile targets are {targets}'
        return
    script = os.path.join(ROOT, argv[0])
    assert os.path.isfile(script), f'{where}: no {argv[0]}'
    placeholders = [a for a in argv[1:] if PLACEHOLDER.match(a)]
    assert not placeholders, f'{where}: {placeholders} stand for arguments'
    for arg in argv[1:]:
        for path in re.split(r'[=,]', arg):
            if path.startswith(REPO_DIRS) and '{' not in path:
                assert os.path.exists(os.path.join(ROOT, path)), f'{where}: no {path}'
    if not argv[0].endswith('.py'):
        return

    def parse_and_stop(self, args=None, namespace=None):
        real_parse(self, args, namespace)
        raise Parsed()
    real_parse = argparse.ArgumentParser.parse_args
    monkeypatch.setattr(argparse.ArgumentParser, 'parse_args', parse_and_stop)
    monkeypatch.setattr(sys, 'argv', [script] + argv[1:])
    monkeypatch.syspath_prepend(os.path.dirname(script))
    monkeypatch.chdir(ROOT)
    try:
        runpy.run_path(script, run_name='__main__')
    except Parsed:
        return
    except SystemExit as err:
        pytest.fail(f'{where}: the tool refuses its arguments (exit {err.code})')
    pytest.fail(f'{where}: the tool ended without parsing arguments')
