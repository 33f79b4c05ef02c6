"""Python entry points for notebooks and scripts: build a model as the Runner
does, recognise videos with any label set and explain each prediction."""
from ..visualization import draw_strip, draw_timeline, write_annotated_video
from .explain import format_result, recognize
from .init_model import frozen_clip_options, init_recognizer, model_for_words
from .inputs import (
                     add_video_tool_arguments,
                     check_video_tool_arguments,
                     collect_videos,
                     parse_labels,
                     refuse_existing_outputs,
                     split_checkpoint,
)
from .precision import PRECISIONS, choose_precision, resolve_precision
from .test_sets import evaluate_test_sets
from .timeline import segments_from_scores, video_timeline
from .vtd_inferencer import VTDInferencer, describe_prediction, inference_pipeline, label_set

__all__ = ['PRECISIONS', 'VTDInferencer', 'add_video_tool_arguments',
           'check_video_tool_arguments', 'choose_precision', 'resolve_precision',
           'collect_videos', 'describe_prediction', 'draw_strip',
           'draw_timeline', 'evaluate_test_sets', 'format_result', 'frozen_clip_options',
           'inference_pipeline', 'init_recognizer', 'label_set', 'model_for_words',
           'parse_labels', 'recognize', 'refuse_existing_outputs', 'segments_from_scores',
           'split_checkpoint', 'video_timeline', 'write_annotated_video']
