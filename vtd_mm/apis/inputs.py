"""What inference reads: the videos named by files, folders or lists, and a label set."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

from ..datasets import LABEL_DIR, load_class_names
from ..datasets.annotation_list import annotation_entries
from ..engine import KeyValueAction
from ..utils import OutputRefused, check_output
from .precision import PRECISIONS

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv', '.mpg', '.mpeg')


def collect_videos(inputs: Sequence[str], data_prefix: Optional[str] = None) -> List[str]:
    """Video files named by ``inputs``: files, folders (their videos, sorted) or
    annotation lists (``.txt``, one ``path [label]`` per line, a path may
    hold spaces, paths relative to ``data_prefix`` or to the list's
    folder)."""
    videos = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(osp.join(item, f) for f in os.listdir(item)
                           if f.lower().endswith(VIDEO_EXTENSIONS))
            if not found:
                raise FileNotFoundError(f'no video files ({", ".join(VIDEO_EXTENSIONS)}) '
                                        f'in the folder {item}')
            videos += found
        elif item.endswith('.txt'):
            root = data_prefix if data_prefix is not None else osp.dirname(osp.abspath(item))
            videos += [osp.join(root, e.item)
                       for e in annotation_entries(item, labels_optional=True)]
        else:
            videos.append(item)
    missing = [v for v in videos if not osp.isfile(v)]
    if missing:
        raise FileNotFoundError(f'{len(missing)} videos not found, e.g. {missing[0]}')
    return videos


def parse_labels(labels: Union[None, str, Sequence[str]]) -> Optional[List[str]]:
    """``'a,b,c'`` / a label file / a list -> names (None: the model's own).

    At least two names: over a single class every video scores 1.0. A string
    that names no file but looks like a path is an error, not a class name; a
    bare file name may be one of the shipped label files
    (``'kinetics_400_labels.csv'``).
    """
    if labels is None:
        return None
    if isinstance(labels, str) and not osp.isfile(labels):
        if labels.endswith(('.txt', '.csv')) or ('/' in labels and ',' not in labels):
            if osp.basename(labels) != labels or not osp.isfile(osp.join(LABEL_DIR, labels)):
                raise FileNotFoundError(f'label file not found: {labels}')
        else:
            labels = [name.strip() for name in labels.split(',') if name.strip()]
    names = load_class_names(labels)
    if len(names) < 2:
        raise ValueError(f'the label set {names} has {len(names)} name(s): a video is '
                         'scored among at least 2 classes (e.g. --labels "dive,run").')
    return names


CHECKPOINT_EXTENSIONS = ('.pth', '.pt', '.ckpt')


def split_checkpoint(inputs: Sequence[str]):
    """``[CHECKPOINT] VIDEO ...`` -> (checkpoint or None, videos): a first
    item ending in .pth / .pt / .ckpt is the checkpoint."""
    inputs = list(inputs)
    if inputs and inputs[0].endswith(CHECKPOINT_EXTENSIONS):
        return inputs[0], inputs[1:]
    return None, inputs


def refuse_existing_outputs(paths: Sequence[str], out_dir: str, overwrite: bool,
                            inputs: Sequence[str]) -> None:
    """Stop before any work when an output exists (unless ``overwrite``) or
    would be written over one of the ``inputs``."""
    existing = [p for p in paths if osp.exists(p)]
    if existing and not overwrite:
        raise SystemExit(f'{len(existing)} of the outputs exist in {out_dir} '
                         f'({", ".join(existing[:3])}{", ..." if len(existing) > 3 else ""}): '
                         'give another --out-dir, or --overwrite to replace them.')
    for path in paths:
        try:
            check_output(path, list(inputs), overwrite=True)
        except OutputRefused as err:
            raise SystemExit(str(err))


WORKERS_HELP = ('processes that decode videos ahead of the model (default: 0 on a CPU, where '
                'they would take cores from the model; 2 on a GPU)')


def decoding_workers(parser, workers: Optional[int], device: str) -> int:
    """``--workers``, checked, or its default for ``device`` (see WORKERS_HELP)."""
    if workers is None:
        return 0 if str(device).startswith('cpu') else 2
    if workers < 0:
        parser.error(f'--workers must be 0 or more, got {workers}')
    return workers


def add_video_tool_arguments(parser, what: str = 'video files, folders of videos or '
                             'annotation lists (.txt)') -> None:
    """The arguments every tool that reads users' videos shares: CONFIG,
    ``[CHECKPOINT] VIDEO|DIR|LIST ...``, ``--labels`` / ``--label-file``,
    ``--data-prefix`` (alias ``--video-root``), ``--device``, ``--precision``,
    ``--workers``, ``--cfg-options``."""
    parser.add_argument('config', help='config file')
    parser.add_argument('inputs', nargs='*', metavar='[CHECKPOINT] VIDEO|DIR|LIST',
                        help=f'an optional checkpoint (.pth), then {what}')
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--labels', help='comma-separated class names, e.g. "dive,run,ride a bike"')
    labels.add_argument('--label-file',
                        help='label file (.txt one name per line, or id,name .csv)')
    parser.add_argument('--data-prefix', '--video-root', dest='data_prefix',
                        help='folder the paths of a list are relative to')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--precision', default='auto', choices=PRECISIONS,
                        help='auto (default): bf16 on a GPU and on a CPU with bf16 units for '
                        'models of 20M weights or more, else fp32')
    parser.add_argument('--workers', type=int, help=WORKERS_HELP)
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                        help='override config settings, key=value')


def check_video_tool_arguments(parser, args, positive: Sequence[str] = (),
                               videos_required: bool = True) -> None:
    """Split the checkpoint off ``args.inputs``, require videos (unless not
    ``videos_required``) and positive values of the ``positive`` options."""
    args.checkpoint, args.inputs = split_checkpoint(args.inputs)
    if videos_required and not args.inputs:
        parser.error('no videos given (after the checkpoint)')
    for name in positive:
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.error(f'--{name.replace("_", "-")} must be positive, got {value}')
    args.workers = decoding_workers(parser, args.workers, args.device)
    args.label_source = args.labels if args.labels is not None else args.label_file
