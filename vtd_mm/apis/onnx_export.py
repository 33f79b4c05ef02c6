"""A VTD recognizer as one ONNX graph, its label set's codebook folded in."""
import json
from typing import List, Optional

import torch
import torch.nn as nn

from ..utils import write_atomically
from .timeline import vtd_head_of
from .vtd_inferencer import label_set


class FoldedRecognizer(nn.Module):
    """The recognizer for one label set: CLIP normalisation, the vision tower,
    the head (confidence, tokens, fusion); the codebook is a constant.

    Input ``frames`` [T, 3, H, W] float32 RGB in 0-255, already resized and
    cropped to the model's input (T = the head's ``num_frames``). Outputs:
    ``scores`` [1, K] (softmax probabilities), ``frame_tokens`` [1, T] (class id
    each frame reads as), ``frame_weights`` [1, T, K] (confidence weights).
    """

    def __init__(self, model):
        super().__init__()
        self.head, self.num_frames = vtd_head_of(model)
        self.backbone = model.backbone
        pre = model.data_preprocessor
        self.register_buffer('mean', pre.mean.detach().view(1, 3, 1, 1).float().clone())
        self.register_buffer('std', pre.std.detach().view(1, 3, 1, 1).float().clone())

    def forward(self, frames: torch.Tensor):
        x = (frames - self.mean) / self.std
        out = self.head.forward_details(self.backbone(x), self.num_frames)
        return out['logits'].softmax(-1), out['frame_tokens'], out['weights']


def export_onnx(model, path: str, labels: Optional[List[str]] = None, opset: int = 17) -> dict:
    """Write ``model`` (a recognizer with a VTD head, in eval mode) as ONNX to
    ``path`` with the label set ``labels`` (None: the model's) folded in.

    The class names, the frame count and size are stored in the file's
    metadata (``vtd_class_names`` JSON, ``vtd_num_frames``, ``vtd_image_size``)
    so a runner needs nothing else. Returns that metadata.
    """
    try:
        import onnx
    except ImportError as err:
        raise ImportError('ONNX export needs the onnx package: pip install onnx') from err
    model.eval()
    meta = {}

    def write(tmp):
        with label_set(model, labels) as names, torch.no_grad():
            folded = FoldedRecognizer(model).eval()
            folded.head.text_encoder(names)  # cached in eval mode: traced as a constant
            size = tuple(model.backbone.image_size)
            frames = torch.rand(folded.num_frames, 3, *size) * 255
            torch.onnx.export(folded, (frames, ), tmp, input_names=['frames'],
                              output_names=['scores', 'frame_tokens', 'frame_weights'],
                              opset_version=opset, dynamo=False)
        meta.update(vtd_class_names=json.dumps(list(names)),
                    vtd_num_frames=str(folded.num_frames), vtd_image_size=json.dumps(list(size)))
        graph = onnx.load(tmp)
        for key, value in meta.items():
            graph.metadata_props.add(key=key, value=value)
        onnx.save(graph, tmp)
    write_atomically(path, write)
    return meta
