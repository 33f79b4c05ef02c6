"""tools/train.py merges its arguments as MMAction2's does."""
import importlib.util
import os

import pytest

from ..paths import ROOT  # noqa: E402

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')
K400_CFG = os.path.join(ROOT, 'configs', 'vtd_k400_8x16.py')


def train_tool():
    spec = importlib.util.spec_from_file_location('vtd_train_tool',
                                                  os.path.join(ROOT, 'tools', 'train.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def config(argv):
    tool = train_tool()
    return tool.make_config(tool.parse_args(argv))


def test_cfg_options_win_over_flags():
    cfg = config([TINY_CFG, '--work-dir', 'a', '--resume', 'x.pth', '--cfg-options',
                  'work_dir=b', 'resume=False', 'load_from=y.pth'])
    assert cfg.work_dir == 'b' and cfg.resume is False and cfg.load_from == 'y.pth'
    cfg = config([TINY_CFG, '--work-dir', 'a'])
    assert cfg.work_dir == 'a'


def test_randomness_of_the_config_is_kept(tmp_path):
    child = tmp_path / 'seeded.py'
    child.write_text(f"_base_ = [{TINY_CFG!r}]\n"
                     "randomness = dict(seed=3, deterministic=True, diff_rank_seed=True)\n")
    cfg = config([str(child)])
    assert cfg.randomness == dict(seed=3, deterministic=True, diff_rank_seed=True)
    cfg = config([str(child), '--seed', '5'])
    assert cfg.randomness == dict(seed=5, deterministic=True, diff_rank_seed=True)
    cfg = config([TINY_CFG, '--deterministic'])
    assert cfg.randomness['deterministic'] is True and cfg.randomness['seed'] == 0


def test_auto_scale_lr_with_accumulation_scales_once():
    """Effective batch 128 = 16 clips x 8 accumulated steps on one process:
    mmengine's Runner.scale_lr multiplies the lr by (processes x clips per
    process) / base_batch_size, blind to the accumulation; the ratio must be 1."""
    cfg = config([K400_CFG, '--auto-scale-lr'])
    assert cfg.optim_wrapper.accumulative_counts == 8
    assert cfg.auto_scale_lr.enable
    ratio = 1 * cfg.train_dataloader.batch_size / cfg.auto_scale_lr.base_batch_size
    assert ratio == 1.0
    # not a multiple: no accumulation, the lr is scaled once (16 x 1 / 100)
    cfg = config([K400_CFG, '--cfg-options', 'effective_batch_size=100'])
    assert cfg.optim_wrapper.get('accumulative_counts', 1) == 1
    assert cfg.auto_scale_lr.enable and cfg.auto_scale_lr.base_batch_size == 100


def test_runner_type_of_the_config_is_built(tmp_path):
    """A config naming runner_type gets that runner (MMAction2's tools build it
    from the RUNNERS registry), not mmengine's Runner."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from vtd_mm.engine import build_runner

    @RUNNERS.register_module(force=True)
    class RecordingRunner(Runner):
        built = 0

        @classmethod
        def from_cfg(cls, cfg):
            cls.built += 1
            return super().from_cfg(cfg)

    os.environ['VTD_TINY_DATA'] = str(tmp_path)
    try:
        cfg = config([TINY_CFG, '--work-dir', str(tmp_path / 'w'),
                      '--cfg-options', 'runner_type=RecordingRunner'])
        runner = build_runner(cfg)
    finally:
        os.environ.pop('VTD_TINY_DATA')
    assert type(runner).__name__ == 'RecordingRunner' and RecordingRunner.built == 1


def test_amp_on_cpu_trains_in_bf16(tmp_path):
    """--amp without a GPU: bf16 autocast through AutocastOptimWrapper (mmengine's
    AmpOptimWrapper asserts a GPU); weights and optimizer stay fp32."""
    import subprocess
    import sys

    import pytest
    import torch
    from mmaction.registry import MODELS, OPTIM_WRAPPERS

    from ..conftest import TINY_ARCH
    from ..videos import make_dataset
    if torch.cuda.is_available():
        pytest.skip('checks the CPU path')
    cfg = config([TINY_CFG, '--amp'])
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    backbone = MODELS.build(dict(type='CLIPVisionBackbone', arch=TINY_ARCH, n_ctx=2, depth=2))
    wrapper = OPTIM_WRAPPERS.build(dict(type='AutocastOptimWrapper', optimizer=torch.optim.AdamW(
        [backbone.prompts], lr=1e-3)))
    with wrapper.optim_context(backbone):
        out = backbone(torch.randn(2, 3, 32, 32))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    assert backbone.prompts.dtype == torch.float32 and backbone.prompts.grad is None
    with pytest.raises(ValueError, match='AmpOptimWrapper on a GPU'):
        OPTIM_WRAPPERS.build(dict(type='AutocastOptimWrapper', dtype='float16',
                                  optimizer=torch.optim.AdamW([backbone.prompts])))
    # one epoch through tools/train.py
    make_dataset(str(tmp_path / 'data'), per_class=1)
    env = dict(os.environ, VTD_TINY_DATA=str(tmp_path / 'data'), PYTHONPATH=ROOT,
               OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable, 'tools/train.py', TINY_CFG, '--amp', '--work-dir',
                          str(tmp_path / 'w'), '--cfg-options', 'train_cfg.max_epochs=1'],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert "type='AutocastOptimWrapper'" in log and 'Epoch(train) [1]' in log


def mmaction_train_config(argv, monkeypatch):
    """The config MMAction2's tools/train.py builds from ``argv`` (its main,
    up to building the Runner)."""
    import sys

    import mmaction
    from mmengine.config import Config
    path = os.path.join(os.path.dirname(mmaction.__file__), '.mim', 'tools', 'train.py')
    spec = importlib.util.spec_from_file_location('mmaction_train_tool', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['train.py'] + argv)
    args = tool.parse_args()
    return tool.merge_args(Config.fromfile(args.config), args)


@pytest.mark.parametrize('argv', [
    [],
    ['--resume', 'x.pth', '--no-validate'],
    ['--work-dir', 'a', '--cfg-options', 'work_dir=b', 'resume=True', 'load_from=y.pth'],
    ['--cfg-options', 'train_cfg.max_epochs=3', 'randomness.seed=7'],
])
def test_same_config_as_mmaction2_train_tool(argv, monkeypatch):
    argv = [TINY_CFG] + argv
    mine = config(argv).to_dict()
    theirs = mmaction_train_config(argv, monkeypatch).to_dict()
    for key in ('work_dir', 'resume', 'load_from', 'launcher', 'val_cfg', 'val_dataloader',
                'auto_scale_lr', 'randomness', 'train_cfg', 'optim_wrapper'):
        assert mine.get(key) == theirs.get(key), key


def test_seed_flag_where_mmaction2_ignores_it(monkeypatch):
    """One deliberate difference: MMAction2's tool applies --seed /
    --deterministic / --diff-rank-seed only to a config without `randomness`
    (every config with MMAction2's runtime has one), silently; here a flag that
    is given wins, and the config's other randomness settings stay."""
    argv = [TINY_CFG, '--seed', '5']
    theirs = mmaction_train_config(argv, monkeypatch).randomness
    assert theirs['seed'] == 0                       # the config's, --seed ignored
    assert config(argv).randomness == dict(theirs, seed=5)


def test_bf16_on_a_cpu_without_bf16_units_warns(tmp_path, mmlog):
    """--amp on a CPU whose flags lack avx512_bf16 / amx_bf16: a warning says
    bf16 is emulated there and fp32 is faster; with the flags, no warning."""
    import torch
    from mmaction.registry import OPTIM_WRAPPERS

    from vtd_mm.engine import autocast_optim_wrapper as wrapper_module

    from ..conftest import warnings_logged
    for flags, warned in (('fpu avx2 avx512f', True), ('fpu avx2 avx512f avx512_bf16', False),
                          ('fpu amx_bf16', False)):
        info = tmp_path / 'cpuinfo'
        info.write_text(f'processor : 0\nflags : {flags}\n')
        assert wrapper_module.cpu_has_bf16_units(str(info)) is (not warned)
    assert wrapper_module.cpu_has_bf16_units(str(tmp_path / 'absent')) is None
    model = torch.nn.Linear(2, 2)
    original = wrapper_module.cpu_has_bf16_units
    for has_units in (False, True):
        mmlog.clear()
        wrapper_module.cpu_has_bf16_units = lambda has=has_units: has
        try:
            sgd = torch.optim.SGD(model.parameters(), lr=0.1)
            wrapper = OPTIM_WRAPPERS.build(dict(type='AutocastOptimWrapper', optimizer=sgd))
            for _ in range(2):
                with wrapper.optim_context(model):
                    model(torch.ones(1, 2))
        finally:
            wrapper_module.cpu_has_bf16_units = original
        logged = [m for m in warnings_logged(mmlog) if 'without bf16 units' in m]
        assert len(logged) == (0 if has_units else 1)


def test_mmaction2_config_names_and_configs_without_randomness(tmp_path, monkeypatch):
    """``mmaction::`` names the installed package's configs; a config without
    ``randomness`` gets the flags (no seed: a random one), as in MMAction2's tool."""
    name = 'recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb.py'
    cfg = config([f'mmaction::{name}'])
    assert cfg.model.cls_head.type == 'TSNHead'
    assert cfg.randomness == dict(seed=None, diff_rank_seed=False, deterministic=False)
    assert cfg.work_dir == os.path.join('./work_dirs', os.path.splitext(os.path.basename(name))[0])
    child = tmp_path / 'plain.py'
    child.write_text(f"_base_ = ['mmaction::{name}']\n")
    for flags in ([], ['--deterministic', '--seed', '3']):
        theirs = mmaction_train_config([str(child)] + flags, monkeypatch)
        assert config([str(child)] + flags).randomness == theirs.randomness
    with pytest.raises(SystemExit, match='not a config of the installed mmaction'):
        config(['mmaction::recognition/tsn/none.py'])
    with pytest.raises(SystemExit, match="'mmdet' is not one of them"):
        config(['mmdet::faster_rcnn.py'])


def test_collate_fn_of_mmaction2_bases_loses_its_scope_key(tmp_path):
    """mmengine marks the dicts of a base read from a package with ``_scope_``;
    the Runner would pass it to MViT's ``repeat_pseudo_collate``."""
    from mmengine.config import Config
    child = tmp_path / 'mvit.py'
    child.write_text("_base_ = ['mmaction::recognition/mvit/"
                     "mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py']\n")
    assert Config.fromfile(str(child)).train_dataloader.collate_fn == dict(
        type='repeat_pseudo_collate', _scope_='mmaction')
    assert config([str(child)]).train_dataloader.collate_fn == dict(
        type='repeat_pseudo_collate')


def test_resume_without_last_checkpoint(tmp_path, monkeypatch):
    """One deliberate difference: MMAction2's tool (mmengine) resumes from
    ``last_checkpoint`` only and starts a new run, over the old epoch files,
    when it is missing; here --resume takes the newest complete checkpoint, or
    says there is nothing to resume."""
    import torch
    work = tmp_path / 'work'
    work.mkdir()
    argv = [TINY_CFG, '--work-dir', str(work), '--resume']
    theirs = mmaction_train_config(argv, monkeypatch)
    assert theirs.resume is True and theirs.load_from is None   # then: a new run
    with pytest.raises(SystemExit, match='nothing to resume in .*work'):
        config(argv)
    for epoch in (1, 2, 10):
        torch.save(dict(state_dict={}, meta=dict(epoch=epoch), message_hub={}, optimizer={}),
                   work / f'epoch_{epoch}.pth')
    (work / 'epoch_11.pth').write_bytes((work / 'epoch_10.pth').read_bytes()[:100])  # cut short
    assert config(argv).load_from == str(work / 'epoch_10.pth')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    assert config(argv).load_from == str(work / 'epoch_2.pth')
    assert config(argv + ['x.pth']).load_from == 'x.pth'


def test_resume_from_weights_alone_is_refused(tmp_path):
    """A published or exported checkpoint has no optimizer or message hub:
    mmengine would stop with ``KeyError: 'message_hub'``."""
    import torch
    published = tmp_path / 'published.pth'
    torch.save(dict(state_dict={}, meta=dict(epoch=3)), published)
    with pytest.raises(SystemExit, match=r'--resume: .*published.pth has no training state '
                       r'\(message_hub, optimizer missing\).*--cfg-options load_from=CKPT'):
        config([TINY_CFG, '--resume', str(published)])
    assert config([TINY_CFG, '--cfg-options', f'load_from={published}']).load_from == str(
        published)


def test_cfg_options_on_a_variable_of_the_file_warn(mmlog):
    """``max_epochs`` of the demo configs is read when the file is parsed:
    setting it afterwards changes nothing, and the tool says where to set it."""
    from ..conftest import warnings_logged
    demo = os.path.join(ROOT, 'configs', 'demo', 'vtd_demo_full.py')
    cfg = config([demo, '--cfg-options', 'max_epochs=1', 'train_cfg.val_interval=2'])
    assert cfg.train_cfg.max_epochs != 1
    said = [m for m in warnings_logged(mmlog) if '--cfg-options' in m]
    assert len(said) == 1, said
    assert 'max_epochs is a variable of the config file' in said[0]
    assert 'set train_cfg.max_epochs=... instead' in said[0]


def test_train_refuses_a_work_dir_in_use(tmp_path):
    """Two runs in one work dir would overwrite each other's checkpoints and
    write one log; the second stops before it builds anything."""
    from vtd_mm.utils import hold_work_dir
    held = hold_work_dir(str(tmp_path))
    try:
        with pytest.raises(SystemExit, match=f'work dir {tmp_path} is in use by a running '
                           'training'):
            train_tool().main([TINY_CFG, '--work-dir', str(tmp_path)])
        assert os.listdir(tmp_path) == ['.train.lock']
    finally:
        held.close()


def test_mmaction2_config_gets_whole_checkpoint_writes():
    cfg = config(['mmaction::recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-'
                  '1x1x3-100e_kinetics400-rgb.py'])
    assert cfg.default_hooks.checkpoint.backend_args == dict(backend='atomic_local')
    assert config([TINY_CFG]).default_hooks.checkpoint.backend_args == dict(
        backend='atomic_local')


def test_config_mistakes_are_named_before_anything_is_built(tmp_path):
    """Each stops in make_config, naming the key or file and the fix."""
    for options, error in (
            (['optim_wrapper.optimizer.lr=fast'],
             r"optim_wrapper.optimizer.lr='fast': the config has a number there \(0.004\)"),
            (['model.cls_head.fusion=dict(attn_drop=0.2)'],
             r'model.cls_head.fusion=.*the config has a dict there.*not dict\(...\): set the '
             r'entries one by one, e.g. model.cls_head.fusion.type=VALUE'),
            (['train_dataloader.persistent_workers=yes'], 'the config has True/False there'),
            (['default_hooks.timer.type=IterTimerHok'],
             r"default_hooks.timer.type='IterTimerHok' is not a registered hook; did you mean "
             r"'IterTimerHook'"),
            (['custom_hooks.0.type=LabelSetHok'],
             "custom_hooks.0.type='LabelSetHok'.*'LabelSetHook'"),
            (['train_dataloader.batch_size=0'], r'train_dataloader.batch_size=0: give a whole '
                                                'number of clips per process, at least 1'),
            (['val_dataloader.batch_size=1.5'], r'val_dataloader.batch_size=1.5')):
        with pytest.raises(SystemExit, match=error):
            config([K400_CFG, '--cfg-options'] + options)
    ok = config([K400_CFG, '--cfg-options', 'optim_wrapper.optimizer.lr=1e-3',
                 'model.cls_head.fusion.attn_drop=0.2', 'load_from=None'])
    assert ok.optim_wrapper.optimizer.lr == 1e-3 and ok.model.cls_head.fusion.attn_drop == 0.2
    # a syntax error in a _base_ file: that file and line, not File "<unknown>"
    (tmp_path / 'base.py').write_text('x = 1\ny = (2,\n')
    (tmp_path / 'child.py').write_text("_base_ = ['base.py']\nz = 3\n")
    with pytest.raises(SystemExit, match=rf"config .*child.py cannot be read: "
                       rf"{tmp_path / 'base.py'}, line 2: '\(' was never closed: y = \(2,"):
        config([str(tmp_path / 'child.py')])


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', ['my configs/a b.py', '2']),
    ('dist_test.sh', ['my configs/a b.py', 'c d.pth', '2']),
    ('slurm_train.sh', ['part', 'job', 'my configs/a b.py']),
    ('slurm_test.sh', ['part', 'job', 'my configs/a b.py', 'c d.pth'])])
def test_launch_scripts_pass_paths_with_spaces_whole(tmp_path, script, args):
    """The scripts' command lines, caught by stand-ins for python and srun."""
    import json
    import subprocess
    import sys
    echo = tmp_path / 'echo_args'
    echo.write_text(f'#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n')
    echo.chmod(0o755)
    (tmp_path / 'srun').symlink_to(echo)
    extra = ['--cfg-options', 'work_dir=out dir']
    out = subprocess.run(['bash', os.path.join(ROOT, 'tools', script)] + args + extra,
                         env=dict(os.environ, PYTHON=str(echo),
                                  PATH=f'{tmp_path}:{os.environ["PATH"]}'),
                         capture_output=True, text=True, check=True).stdout
    argv = json.loads(out.strip().splitlines()[-1])
    given = [a for a in args if a.endswith(('.py', '.pth'))]
    assert all(a in argv for a in given + extra), argv
