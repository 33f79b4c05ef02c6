"""The package: registration, custom_imports, and the compat fixes."""
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from .paths import ROOT  # noqa: E402


def run_python(code, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)


def registered_classes():
    """(registry name, class name, module file) of every ``@REGISTRY.register_module()``
    class in the package source."""
    import ast
    found = []
    for folder, _, files in os.walk(os.path.join(ROOT, 'vtd_mm')):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(folder, name)
            for node in ast.walk(ast.parse(open(path).read())):
                if not isinstance(node, ast.ClassDef):
                    continue
                for deco in node.decorator_list:
                    if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                            and deco.func.attr == 'register_module'):
                        found.append((deco.func.value.id, node.name, path))
    return found


def test_every_registered_class_is_in_mmaction_registries_and_the_readme():
    import mmaction.registry as registries
    found = registered_classes()
    assert len(found) >= 17
    readme = open(os.path.join(ROOT, 'README.md')).read()
    for registry, name, path in found:
        cls = getattr(registries, registry).get(name)
        assert cls is not None and cls.__name__ == name, (registry, name, path)
        assert f'`{name}`' in readme, f'{name} ({path}) is not in the README\'s table'


def test_custom_imports_in_a_fresh_process(tmp_path, tiny_arch):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(textwrap.dedent(f'''
        custom_imports = dict(imports=['vtd_mm'], allow_failed_imports=False)
        default_scope = 'mmaction'
        model = dict(type='Recognizer2D',
                     backbone=dict(type='CLIPVisionBackbone', arch={tiny_arch!r}),
                     cls_head=dict(type='TSNHead', num_classes=3, in_channels=32))
    '''))
    out = run_python(f'''
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(cfg)!r})
        init_default_scope(cfg.default_scope)
        from mmaction.registry import MODELS
        model = MODELS.build(cfg.model)
        print(type(model.backbone).__name__)
    ''', tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith('CLIPVisionBackbone')


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('vtd_mm_test_ckpt')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/acc', np.float64(0.25))
    hub.update_info('seed', np.int64(3))
    hub.update_info('arr', np.arange(3))
    ckpt = {'meta': {'epoch': 2, 'seed': np.int64(1024)},
            'state_dict': {'w': torch.ones(2)}, 'message_hub': hub.state_dict()}
    path = tmp_path / 'epoch_2.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == 0.5
    # the getattr allowance resolves HistoryBuffer's statistics, nothing else
    evil = tmp_path / 'evil.pth'

    from mmengine.logging import HistoryBuffer

    class Evil:
        def __reduce__(self):
            return getattr, (HistoryBuffer, 'update')
    torch.save({'x': Evil()}, evil)
    with pytest.raises(pickle.UnpicklingError, match='Refusing getattr'):
        torch.load(evil, weights_only=True)


def test_mmaction_imports_without_drn_files(tmp_path):
    """The in-memory placeholder, used when the DRN files are absent on disk."""
    out = run_python(f'''
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location(
            'compat', {os.path.join(ROOT, 'vtd_mm', 'compat.py')!r})
        compat = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(compat)
        compat._mmaction_dir = lambda: '/nonexistent'  # as on a fresh install
        compat.ensure_mmaction_importable()
        import mmaction.models
        from mmaction.models.localizers import DRN
        assert sys.modules['mmaction.models.localizers.drn'].__path__ == []
        try:
            DRN()
        except ImportError as err:
            print('refused:', err)
    ''', tmp_path)
    assert out.returncode == 0, out.stderr
    assert 'refused: DRN is not included' in out.stdout


def test_base_model_config_builds(tiny_arch):
    from mmaction.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(os.path.join(ROOT, 'configs/_base_/models/clip_vit_b16.py'))
    assert cfg.vision_backbone.arch == cfg.text_encoder.arch == 'ViT-B-16'
    backbone = MODELS.build(dict(cfg.vision_backbone, arch=tiny_arch, pretrained=None,
                                 depth=3))
    text = MODELS.build(dict(cfg.text_encoder, arch=tiny_arch, pretrained=None,
                             prompt_learner=dict(cfg.text_encoder.prompt_learner, depth=3)))
    assert backbone.prompts.shape == (3, 16, 64)
    assert backbone(torch.zeros(2, 3, 32, 32)).shape == (2, 32, 1, 1)
    assert text(['a', 'b']).shape == (2, 32)
