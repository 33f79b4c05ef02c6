"""Python entry points for notebooks and scripts: build a model as the Runner
does, recognise videos with any label set and explain each prediction."""
from ..visualization import draw_strip, write_annotated_video
from .explain import format_result, recognize
from .init_model import frozen_clip_options, init_recognizer
from .inputs import collect_videos, parse_labels
from .test_sets import evaluate_test_sets
from .vtd_inferencer import VTDInferencer, describe_prediction, inference_pipeline, label_set

__all__ = ['VTDInferencer', 'collect_videos', 'describe_prediction', 'draw_strip',
           'evaluate_test_sets', 'format_result', 'frozen_clip_options', 'inference_pipeline',
           'init_recognizer', 'label_set', 'parse_labels', 'recognize', 'write_annotated_video']
