"""Python entry points for notebooks and scripts: build a model as the Runner
does, recognise videos with any label set and explain each prediction."""
from ..visualization import draw_strip, write_annotated_video
from .explain import (collect_videos, format_result, inference_pipeline, label_set, parse_labels,
                      recognize)
from .init_model import frozen_clip_options, init_recognizer
from .test_sets import evaluate_test_sets

__all__ = ['collect_videos', 'draw_strip', 'evaluate_test_sets', 'format_result',
           'frozen_clip_options', 'inference_pipeline', 'init_recognizer', 'label_set',
           'parse_labels', 'recognize', 'write_annotated_video']
