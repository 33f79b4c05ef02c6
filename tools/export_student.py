"""Write the student of a distillation checkpoint as a checkpoint of its own.

    python tools/export_student.py DISTILL_CKPT OUT

The result loads with the student's own config (load_from / tools/test.py).
A student trained on a cheaper view of the teacher's clips (the distiller's
``student_input``: fewer frames, a lower resolution) needs a test pipeline
that gives it that view: the tool says so and records the view in the meta.
"""
import argparse
import os.path as osp

import torch

from vtd_mm.utils import (
    CheckpointFileError,
    NotALiteral,
    OutputRefused,
    check_output,
    read_assignment,
    read_checkpoint,
    write_atomically,
)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('checkpoint', help='checkpoint of a RecognizerDistiller run')
    p.add_argument('out', help='output checkpoint of the student alone')
    p.add_argument('--overwrite', action='store_true', help='replace OUT if it exists')
    args = p.parse_args(argv)
    try:
        check_output(args.out, [args.checkpoint], args.overwrite)
    except OutputRefused as err:
        raise SystemExit(str(err))
    try:  # an empty, truncated or foreign file: named, with what to do
        ckpt = read_checkpoint(args.checkpoint, 'cpu')
    except (OSError, CheckpointFileError) as err:
        raise SystemExit(str(err)) from None
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise SystemExit(f'{args.checkpoint} holds a {type(ckpt).__name__}, not a checkpoint '
                         '(a dict of weights): pass a RecognizerDistiller checkpoint.')
    student = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    if not student:
        raise SystemExit(f'{args.checkpoint} has no student.* weights: is it a '
                         'RecognizerDistiller checkpoint?')
    meta = dict(ckpt.get('meta', {}), exported_from=osp.basename(args.checkpoint))
    view = student_input(meta)
    if view:
        meta['student_input'] = view
    write_atomically(args.out, lambda tmp: torch.save(dict(state_dict=student, meta=meta), tmp))
    print(f'wrote {args.out}: {len(student)} tensors of the student')
    if view:
        print(f'note: the student was trained and validated on student_input={view} of '
              "the teacher's clips. Test it with a pipeline that gives it that view "
              "(clip_len -> num_frames frames per clip, frames of the given size); the "
              "teacher's pipeline would measure it on inputs it never saw.")
    return args.out


def student_input(meta: dict):
    """The distiller's ``student_input`` from the run's config in ``meta``
    (mmengine writes it there as Python text), read as data: the text is
    parsed, never executed. None when there is none or it is not plain data."""
    text = meta.get('cfg')
    if not isinstance(text, str):
        return None
    try:
        if read_assignment(text, 'model', 'type') != 'RecognizerDistiller':
            return None
        view = read_assignment(text, 'model', 'student_input')
    except KeyError:
        return None
    except (SyntaxError, NotALiteral) as err:
        print(f"note: the run's config in the checkpoint could not be read as data "
              f'({type(err).__name__}: {err}); no student_input is reported.')
        return None
    return dict(view) if isinstance(view, dict) and view else None


if __name__ == '__main__':
    main()
