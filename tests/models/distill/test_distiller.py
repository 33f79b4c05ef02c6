"""RecognizerDistiller: a frozen, hidden, eval-mode teacher; the student's modes; export."""
import os
import sys

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from ...conftest import TINY_ARCH
from ...paths import ROOT, TESTS  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import export_student  # noqa: E402

CLIP_NORM = dict(type='ActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                 std=[68.501, 66.632, 70.323], format_shape='NCHW')
IMAGENET_NORM = dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                     std=[58.395, 57.12, 57.375], format_shape='NCHW')
TEACHER = dict(type='Recognizer2D',
               backbone=dict(type='CLIPVisionBackbone', arch=TINY_ARCH, n_ctx=2, depth=2),
               cls_head=dict(type='TSNHead', num_classes=3, in_channels=32, dropout_ratio=0.5),
               data_preprocessor=CLIP_NORM)
STUDENT = dict(type='Recognizer2D', backbone=dict(type='ResNet', depth=18, pretrained=None),
               cls_head=dict(type='TSNHead', num_classes=3, in_channels=512, average_clips='prob'),
               data_preprocessor=IMAGENET_NORM)


def build_distiller(tmp_path, student_input=None):
    torch.manual_seed(0)
    teacher = MODELS.build(TEACHER)
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    model = MODELS.build(dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                              teacher_checkpoint=str(path), student_input=student_input,
                              distill_losses=dict(ckd=dict(type='CKDLoss'),
                                                  kd=dict(type='KDLoss', loss_weight=0.5))))
    return model, teacher


@pytest.fixture
def distiller(tmp_path):
    return build_distiller(tmp_path)


def batch(n=2, frames=4):
    g = torch.Generator().manual_seed(1)
    inputs = [torch.randint(0, 256, (frames, 3, 32, 32), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    samples = [ActionDataSample().set_gt_label(torch.tensor([i % 3])) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_teacher_is_loaded_frozen_hidden_and_in_eval(distiller):
    model, teacher = distiller
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key  # loaded once
    params = {id(p) for p in model.parameters()}
    assert not any(id(p) in params for p in model.teacher.parameters())
    assert not any(k.startswith('teacher.') for k in model.state_dict())
    assert all(m is not model.teacher for m in model.modules())
    model.train()
    assert not model.teacher.training and not model.teacher.cls_head.dropout.training
    model.to(torch.float64)
    assert next(model.teacher.parameters()).dtype == torch.float64
    model.to(torch.float32)


def test_loss_mode(distiller, monkeypatch):
    from vtd_mm.models import CKDLoss
    from vtd_mm.models.distill import video_logits
    model, _ = distiller
    model.train()

    def no_teacher_loss(*args, **kwargs):
        raise AssertionError('the teacher computed its own loss')
    monkeypatch.setattr(model.teacher.cls_head, 'loss_by_feat', no_teacher_loss)
    seen = []
    ckd = model.distill_losses['ckd']
    monkeypatch.setattr(ckd, 'forward',
                        lambda s, t: seen.append((s, t)) or CKDLoss.forward(ckd, s, t))
    data = batch()
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    assert {'loss_cls', 'loss_ckd', 'loss_kd', 'top1_acc'} <= set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.student.backbone.conv1.conv.weight.grad is not None
    assert all(p.grad is None for p in model.teacher.parameters())
    # the teacher saw its own preprocessing (CLIP normalisation), in eval mode, twice alike
    with torch.no_grad():
        t_in = model.teacher.data_preprocessor(dict(batch()), False)['inputs']
        t1, _ = video_logits(model.teacher, t_in)
        t2, _ = video_logits(model.teacher, t_in)
    torch.testing.assert_close(t1, t2, atol=0, rtol=0)
    student_logits, teacher_logits = seen[0]
    assert student_logits.shape == teacher_logits.shape == (2, 3)  # video level
    torch.testing.assert_close(teacher_logits, t1, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(losses['loss_ckd'], CKDLoss()(student_logits, t1))


def test_predict_and_tensor_are_the_students(distiller):
    model, _ = distiller
    model.eval()
    data = batch()
    with torch.no_grad():
        ours = model(**model.data_preprocessor(data, False), mode='predict')
        student = model.student(**model.student.data_preprocessor(batch(), False), mode='predict')
        tensor = model(**model.data_preprocessor(batch(), False), mode='tensor')
        student_tensor = model.student(**model.student.data_preprocessor(batch(), False),
                                       mode='tensor')
    for a, b in zip(ours, student):
        torch.testing.assert_close(a.pred_score, b.pred_score)
    torch.testing.assert_close(tensor, student_tensor)


def test_student_view_equals_per_frame_selection_and_resize():
    """student_input: frames = the centres of num_frames equal segments of
    each clip (2D: [V * T, C, H, W], 3D: [V, C, T, H, W]); size = each frame
    resized on its own (float64 inputs: no rounding)."""
    import torch.nn.functional as F
    model = MODELS.build(dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                              student_input=dict(clip_len=8, num_frames=3, size=(16, 12))))
    g = torch.Generator().manual_seed(0)
    video = torch.rand(2 * 8, 3, 32, 32, generator=g, dtype=torch.float64)  # 2 views of 8
    out = model.student_view([video])[0]
    picks = [int((j + 0.5) * 8 / 3) for j in range(3)]
    assert picks == [1, 4, 6]
    expected = torch.cat([
        F.interpolate(video[v * 8 + t][None], size=(16, 12), mode='bilinear',
                      align_corners=False, antialias=True)
        for v in range(2) for t in picks])
    assert out.shape == (6, 3, 16, 12) and out.dtype == torch.float64
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)
    # 3D layout and uint8: frames picked along T, values rounded back to uint8
    frames_only = MODELS.build(dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                                    student_input=dict(clip_len=8, num_frames=4)))
    clip = torch.randint(0, 256, (2, 3, 8, 5, 5), generator=g, dtype=torch.uint8)
    assert torch.equal(frames_only.student_view(clip[None])[0], clip[:, :, [1, 3, 5, 7]])
    small = MODELS.build(dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                              student_input=dict(size=16)))
    image = torch.randint(0, 256, (4, 3, 32, 32), generator=g, dtype=torch.uint8)
    down = small.student_view([image])[0]
    ref = F.interpolate(image.double(), size=(16, 16), mode='bilinear', align_corners=False,
                        antialias=True)
    assert down.dtype == torch.uint8
    # fp32 interpolation vs float64, then rounding: at most one grey level apart
    assert (down.double() - ref.round()).abs().max() <= 1


def test_student_input_errors():
    def build(view):
        return MODELS.build(dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                                 student_input=view))
    with pytest.raises(ValueError, match='unknown keys'):
        build(dict(frames=4))
    with pytest.raises(ValueError, match='together'):
        build(dict(num_frames=4))
    with pytest.raises(ValueError, match='between 1 and clip_len=4'):
        build(dict(clip_len=4, num_frames=8))
    with pytest.raises(ValueError, match='cannot be cut into clips of clip_len=3'):
        build(dict(clip_len=3, num_frames=2)).student_view([torch.zeros(4, 3, 8, 8)])


def test_student_sees_its_view_and_the_teacher_the_batch(tmp_path, monkeypatch):
    """Loss mode: the teacher's logits come from all frames at full size, the
    student's from its view; predict mode gives the student the same view."""
    model, _ = build_distiller(tmp_path, dict(clip_len=4, num_frames=2, size=16))
    seen = {}
    for side in ('student', 'teacher'):
        pre = getattr(model, side).data_preprocessor
        forward = type(pre).forward
        monkeypatch.setattr(pre, 'forward', lambda data, training=False, _f=forward, _p=pre,
                            _s=side: seen.setdefault(_s, []).append(
                                tuple(data['inputs'][0].shape)) or _f(_p, data, training))
    model.train()
    losses = model(**model.data_preprocessor(batch(), True), mode='loss')
    assert torch.isfinite(losses['loss_ckd'])
    assert seen == {'student': [(2, 3, 16, 16)], 'teacher': [(4, 3, 32, 32)]}
    model.eval()
    with torch.no_grad():
        model(**model.data_preprocessor(batch(), False), mode='predict')
    assert seen['student'][-1] == (2, 3, 16, 16) and len(seen['teacher']) == 1


I3D_NORM = dict(IMAGENET_NORM, format_shape='NCTHW')
TEACHER_3D = dict(type='Recognizer3D',
                  backbone=dict(type='ResNet3dSlowOnly', depth=18, pretrained=None,
                                pretrained2d=False, lateral=False, out_indices=(3, ),
                                conv1_stride_t=1, pool1_stride_t=1, inflate=(0, 0, 1, 1)),
                  cls_head=dict(type='I3DHead', num_classes=3, in_channels=512),
                  data_preprocessor=I3D_NORM)
TSM_STUDENT = dict(type='Recognizer2D',
                   backbone=dict(type='ResNetTSM', depth=18, pretrained=None, num_segments=2),
                   cls_head=dict(type='TSMHead', num_classes=3, in_channels=512, num_segments=2,
                                 average_clips='prob'),
                   data_preprocessor=IMAGENET_NORM)


def clip_batch(n=2, clips=1, frames=4):
    g = torch.Generator().manual_seed(2)
    inputs = [torch.randint(0, 256, (clips, 3, frames, 32, 32), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    samples = [ActionDataSample().set_gt_label(torch.tensor([i % 3])) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_3d_teacher_2d_student_see_the_same_clips(monkeypatch):
    """The 2D student gets the frames of each clip in order (after its view);
    the 3D teacher the clips."""
    torch.manual_seed(0)
    model = MODELS.build(dict(type='RecognizerDistiller', student=TSM_STUDENT,
                              teacher=TEACHER_3D, student_input=dict(clip_len=4, num_frames=2)))
    data = clip_batch(clips=3)
    frames = model.as_layout(model.student_view(data['inputs']), 'student')
    for video, got in zip(data['inputs'], frames):
        expected = [video[v, :, t] for v in range(3) for t in (1, 3)]  # centres of 2 segments
        assert torch.equal(got, torch.stack(expected))
    assert model.as_layout(data['inputs'], 'teacher') is data['inputs']
    model.train()
    losses = model(**model.data_preprocessor(clip_batch(), True), mode='loss')
    assert torch.isfinite(losses['loss_ckd']) and torch.isfinite(losses['loss_cls'])
    model.eval()
    with torch.no_grad():
        out = model(**model.data_preprocessor(clip_batch(clips=3), False), mode='predict')
    assert out[0].pred_score.shape == (3, )


def test_layouts_and_frame_counts_that_cannot_work_are_named():
    def build(**kwargs):
        return MODELS.build(dict(type='RecognizerDistiller', **kwargs))
    # a 2D pipeline cannot feed a 3D teacher
    model = build(student=STUDENT, teacher=TEACHER_3D)
    model.train()
    with pytest.raises(ValueError, match="the teacher is a 3D recognizer.*input_format='NCTHW'"):
        model(**model.data_preprocessor(batch(), True), mode='loss')
    # the TSM student takes 2 frames per view: 3 cannot train it
    with pytest.raises(ValueError, match=r'views of 2 frames, but it gets 3 per training clip'
                                         r'.*num_frames=2'):
        build(student=TSM_STUDENT, teacher=TEACHER_3D, student_input=dict(clip_len=4,
                                                                           num_frames=3))
    model = build(student=TSM_STUDENT, teacher=TEACHER_3D)
    model.train()
    with pytest.raises(ValueError, match='views of 2 frames, but it gets 4 per training clip'):
        model(**model.data_preprocessor(clip_batch(), True), mode='loss')
    with pytest.raises(ValueError, match="student takes MIX2d3d.*same format_shape"):
        build(student=dict(STUDENT, data_preprocessor=dict(IMAGENET_NORM,
                                                          format_shape='MIX2d3d')),
              teacher=TEACHER_3D)


def test_tsm_optimizer_sees_only_the_student():
    from mmengine.optim import build_optim_wrapper
    tsm = lambda depth: dict(  # noqa: E731
        type='Recognizer2D',
        backbone=dict(type='ResNetTSM', depth=depth, pretrained=None, num_segments=4),
        cls_head=dict(type='TSMHead', num_classes=3, in_channels=512, num_segments=4),
        data_preprocessor=IMAGENET_NORM)
    model = MODELS.build(dict(type='RecognizerDistiller', student=tsm(18), teacher=tsm(18)))
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', constructor='TSMOptimWrapperConstructor',
        paramwise_cfg=dict(fc_lr5=True), optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    in_optimizer = {id(p) for g in wrapper.optimizer.param_groups for p in g['params']}
    assert in_optimizer == {id(p) for p in model.student.parameters()}
    fc = model.student.cls_head.fc_cls.weight
    lr5 = [g for g in wrapper.optimizer.param_groups if any(p is fc for p in g['params'])]
    assert lr5 and lr5[0]['lr'] == pytest.approx(0.05)  # the student's last Linear


def test_export_student(distiller, tmp_path):
    model, _ = distiller
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, ckpt)
    out = tmp_path / 'student.pth'
    export_student.main([str(ckpt), str(out)])
    from mmengine.runner import load_checkpoint
    student = MODELS.build(STUDENT).eval()
    load_checkpoint(student, str(out), strict=True)
    model.eval()
    with torch.no_grad():
        a = model(**model.data_preprocessor(batch(), False), mode='tensor')
        b = student(**student.data_preprocessor(batch(), False), mode='tensor')
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    # damaged or foreign inputs: named, with what to do, and nothing written
    whole = ckpt.read_bytes()
    for name, data, error in (('empty.pth', b'', r'empty \(0 bytes\)'),
                              ('cut.pth', whole[:len(whole) // 2], 'it is truncated'),
                              ('notes.pth', b'see the drive\n', 'is not a PyTorch checkpoint')):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SystemExit, match=f'{name}.*{error}'):
            export_student.main([str(tmp_path / name), str(tmp_path / f'{name}.out')])
        assert not (tmp_path / f'{name}.out').exists()
    torch.save([1, 2], tmp_path / 'list.pth')
    with pytest.raises(SystemExit, match='holds a list, not a checkpoint'):
        export_student.main([str(tmp_path / 'list.pth'), str(tmp_path / 'x.pth')])


@pytest.mark.parametrize('student_input', [None, dict(clip_len=4, num_frames=2, size=16)])
def test_distillation_through_the_runner(tmp_path, distiller, student_input, capsys):
    """Train a distiller through MMAction2's Runner on generated videos, export,
    reload; also with a student that sees half the frames at half the size."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from ...videos import make_dataset
    make_dataset(str(tmp_path / 'data'))
    cfg = Config.fromfile(os.path.join(TESTS, 'configs', 'vtd_tiny.py'))
    loader = cfg.train_dataloader
    loader.num_workers = 0
    loader.dataset.update(ann_file=str(tmp_path / 'data' / 'train_list.txt'),
                          data_prefix=dict(video=str(tmp_path / 'data' / 'videos')))
    teacher_ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': distiller[1].state_dict()}, teacher_ckpt)
    cfg.model = dict(type='RecognizerDistiller', student=STUDENT, teacher=TEACHER,
                     teacher_checkpoint=str(teacher_ckpt),
                     distill_losses=dict(ckd=dict(type='CKDLoss')), student_input=student_input)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.param_scheduler = None
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    teacher_before = {k: v.clone() for k, v in runner.model.teacher.state_dict().items()}
    runner.train()
    for key, value in runner.model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    scalars = runner.message_hub.log_scalars
    assert 'train/loss_ckd' in scalars and 'train/loss_cls' in scalars
    out = tmp_path / 'student.pth'
    export_student.main([str(tmp_path / 'work' / 'epoch_1.pth'), str(out)])
    # the view the student was trained on travels with it, and the tool says so
    exported_meta = torch.load(out, weights_only=True)['meta']
    assert exported_meta.get('student_input') == student_input
    assert ('note: the student was trained and validated on student_input'
            in capsys.readouterr().out) == (student_input is not None)
    from mmengine.runner import load_checkpoint
    student = MODELS.build(STUDENT)
    load_checkpoint(student, str(out), strict=True)
    for key, value in runner.model.student.state_dict().items():
        assert torch.equal(student.state_dict()[key], value), key
