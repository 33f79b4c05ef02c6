"""The tensors of a TorchScript archive, read as data.

OpenAI releases CLIP as TorchScript archives (``ViT-B-16.pt``).
``torch.jit.load`` runs the archive's code (a class's ``__setstate__`` is
TorchScript written by whoever made the file) before any check can look at
it. The archive is a zip of a pickle (``data.pkl``: the module tree, each
module's attributes), the tensors' raw storages (``data/<key>``) and the
code (``code/``). Here the pickle is read with an unpickler that knows a
handful of names (tensor rebuilding, storage types, ``OrderedDict``) and
turns every scripted class into an inert record of its attributes; which
attributes are parameters and buffers comes from the ``__parameters__`` /
``__buffers__`` lines of each class in ``code/``, read as text. Nothing of
the archive is executed. The result equals ``torch.jit.load(path).state_dict()``
(a test compares them).
"""
import ast
import io
import pickle
import re
import zipfile
from typing import Dict, Set, Tuple

import torch

_STORAGE_DTYPES = {
    'FloatStorage': torch.float32, 'HalfStorage': torch.float16,
    'BFloat16Storage': torch.bfloat16, 'DoubleStorage': torch.float64,
    'LongStorage': torch.int64, 'IntStorage': torch.int32, 'ShortStorage': torch.int16,
    'CharStorage': torch.int8, 'ByteStorage': torch.uint8, 'BoolStorage': torch.bool}


class ScriptedModuleRecord:
    """A scripted module's attributes as the pickle gives them; its class
    (``__torch__...``) is named, never loaded."""
    qualname = ''

    def __setstate__(self, state):
        self.state = state


def _rebuild_tensor(storage, offset, size, stride, *unused):
    return torch.as_strided(storage, size, stride, offset).clone()


class _DataOnlyUnpickler(pickle.Unpickler):

    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str):
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix = archive, prefix
        self.storages: Dict[str, torch.Tensor] = {}
        self.classes: Dict[Tuple[str, str], type] = {}

    def find_class(self, module, name):
        if module.startswith('__torch__'):
            key = (module, name)
            if key not in self.classes:
                self.classes[key] = type(name, (ScriptedModuleRecord, ),
                                         dict(qualname=f'{module}.{name}'))
            return self.classes[key]
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return _rebuild_tensor
        if (module, name) == ('collections', 'OrderedDict'):
            return dict
        if module == 'torch' and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(
            f'the archive names {module}.{name}, which a file of weights does not need')

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == 'storage'
                and isinstance(pid[1], torch.dtype)):
            raise pickle.UnpicklingError(f'unexpected storage reference {pid!r}')
        _, dtype, key, _, numel = pid
        if key not in self.storages:
            raw = bytearray(self.archive.read(f'{self.prefix}data/{key}'))
            flat = (torch.frombuffer(raw, dtype=dtype) if raw
                    else torch.empty(0, dtype=dtype))
            if flat.numel() != numel:
                raise pickle.UnpicklingError(
                    f'storage {key} holds {flat.numel()} values, {numel} expected')
            self.storages[key] = flat
        return self.storages[key]


def _state_names(archive: zipfile.ZipFile, prefix: str, qualname: str) -> Set[str]:
    """Names in the ``__parameters__`` and ``__buffers__`` lines of a class
    of ``code/`` (read as text)."""
    module, _, name = qualname.rpartition('.')
    path = f"{prefix}code/{module.replace('.', '/')}.py"
    try:
        text = archive.read(path).decode('utf-8')
    except KeyError:
        raise ValueError(f'the archive has no {path} for class {qualname}') from None
    block = re.search(rf'^class {re.escape(name)}\(.*\):\n((?:[ \t]+.*\n|\n)*)', text, re.M)
    names = set()
    for field in ('__parameters__', '__buffers__'):
        line = block and re.search(rf'^\s+{field} = (\[.*\])\s*$', block.group(1), re.M)
        if not line:
            raise ValueError(f'class {qualname} in {path} lists no {field}')
        names.update(ast.literal_eval(line.group(1)))
    return names


def read_torchscript_tensors(path: str) -> Dict[str, torch.Tensor]:
    """Parameters and buffers of the TorchScript archive ``path`` by
    state-dict name, as ``torch.jit.load(path).state_dict()`` gives them,
    without running the archive's code."""
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist()
                   if n.endswith('data.pkl') and n.count('/') == 1]
        if len(pickles) != 1:
            raise ValueError(f'{path}: a TorchScript archive has one <name>/data.pkl, '
                             f'found {len(pickles)}')
        prefix = pickles[0][:-len('data.pkl')]
        root = _DataOnlyUnpickler(archive.read(pickles[0]), archive, prefix).load()
        if not isinstance(root, ScriptedModuleRecord):
            raise ValueError(f'{path}: the archive does not hold a scripted module')
        tensors, names = {}, {}
        stack = [('', root)]
        while stack:
            where, record = stack.pop()
            state = getattr(record, 'state', {})
            if not isinstance(state, dict):
                raise ValueError(f'class {record.qualname} keeps its state with its own '
                                 '__setstate__, which only its code reads')
            if record.qualname not in names:
                names[record.qualname] = _state_names(archive, prefix, record.qualname)
            for key, value in state.items():
                if isinstance(value, ScriptedModuleRecord):
                    stack.append((f'{where}{key}.', value))
                elif torch.is_tensor(value) and key in names[record.qualname]:
                    tensors[where + key] = value
    return tensors
