"""Python entry points for notebooks and scripts: build a model as the Runner
does, recognise videos with any label set and explain each prediction."""
from .explain import (collect_videos, draw_strip, format_result, inference_pipeline, label_set,
                      parse_labels, recognize, write_annotated_video)
from .init_model import frozen_clip_options, init_recognizer

__all__ = ['collect_videos', 'draw_strip', 'format_result', 'frozen_clip_options',
           'inference_pipeline',
           'init_recognizer', 'label_set', 'parse_labels', 'recognize', 'write_annotated_video']
