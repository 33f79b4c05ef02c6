"""A VTD recognizer as an ONNX graph, its label set's codebook folded in, and
optionally the prompted text tower as a second graph so that a deployment
can encode words of its own."""
import base64
import contextlib
import json
import os
from typing import List, Optional

import torch
import torch.nn as nn

from ..utils import write_atomically
from .search import model_digest
from .timeline import vtd_head_of
from .vtd_inferencer import label_set


class FoldedRecognizer(nn.Module):
    """The recognizer for one label set: CLIP normalisation, the vision tower,
    the head (confidence, tokens, fusion); the codebook is a constant.

    Input ``frames`` [T, 3, H, W] float32 RGB in 0-255, already resized and
    cropped to the model's input (T = the head's ``num_frames``), and with
    ``codebook_input`` a ``codebook`` [K, D] (e.g. from the exported text
    tower) instead of the folded one. Outputs: ``scores`` [1, K] (softmax
    probabilities), ``frame_tokens`` [1, T] (class id each frame reads as),
    ``frame_weights`` [1, T, K] (confidence weights).
    """

    def __init__(self, model):
        super().__init__()
        self.head, self.num_frames = vtd_head_of(model)
        self.backbone = model.backbone
        pre = model.data_preprocessor
        self.register_buffer('mean', pre.mean.detach().view(1, 3, 1, 1).float().clone())
        self.register_buffer('std', pre.std.detach().view(1, 3, 1, 1).float().clone())

    def forward(self, frames: torch.Tensor, codebook: Optional[torch.Tensor] = None):
        x = (frames - self.mean) / self.std
        out = self.head.forward_details(self.backbone(x), self.num_frames, codebook)
        return out['logits'].softmax(-1), out['frame_tokens'], out['weights']


class PromptedTextTower(nn.Module):
    """The text encoder with its learnt prompts: prompt token ids
    ``[K, context_length]`` int64 -> codebook ``[K, D]``, the whole sequence
    computed (causal attention; the shared-prefix layout depends on the names)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.encoder.encode_prompt_ids(ids)


def add_metadata(path: str, meta: dict) -> None:
    """Store ``meta`` (str -> str) in the ONNX file's metadata."""
    import onnx
    graph = onnx.load(path)
    for key, value in meta.items():
        graph.metadata_props.add(key=key, value=value)
    onnx.save(graph, path)


@contextlib.contextmanager
def full_sequence(encoder):
    """``encoder`` in its 'full' mode for the duration (exact, see CLIPTextEncoder)."""
    mode, encoder.mode = encoder.mode, 'full'
    try:
        yield encoder
    finally:
        encoder.mode = mode


def export_text_onnx(model, path: str, opset: int = 17) -> dict:
    """Write the prompted text tower of ``model``'s VTD head as ONNX to ``path``.

    Input ``ids`` [K, context_length] int64: per class name ``SOT, n_ctx
    placeholders (id 0), tokens of template.format(name), EOT``, zero-padded
    (what :meth:`CLIPTextEncoder.tokenize` gives); output ``codebook`` [K, D].
    The metadata holds what a runner needs to make the ids without PyTorch:
    the template, ``n_ctx``, the context length, the start / end ids and
    CLIP's BPE merge list (gzip, base64); and ``vtd_text_digest`` (SHA-256 of
    the text encoder's weights and prompts), which the recognizer exported
    with ``codebook_input`` also holds, so that a runner refuses a text tower
    of another model. Returns that metadata.
    """
    from open_clip.tokenizer import default_bpe
    head, _ = vtd_head_of(model)
    encoder = head.text_encoder
    with open(default_bpe(), 'rb') as f:
        bpe = base64.b64encode(f.read()).decode('ascii')
    tokenizer = encoder.tokenizer
    meta = dict(vtd_text_template=encoder.template, vtd_text_n_ctx=str(encoder.n_ctx),
                vtd_text_context_length=str(encoder.context_length),
                vtd_text_start_id=str(tokenizer.sot_token_id),
                vtd_text_end_id=str(tokenizer.eot_token_id), vtd_text_bpe_gz_b64=bpe,
                vtd_text_digest=model_digest(encoder))

    def write(tmp):
        names = list(head.class_names)[:2]
        ids = encoder.tokenize(names)[0]
        with full_sequence(encoder), torch.no_grad():
            torch.onnx.export(PromptedTextTower(encoder).eval(), (ids, ), tmp,
                              input_names=['ids'], output_names=['codebook'],
                              dynamic_axes=dict(ids={0: 'classes'}, codebook={0: 'classes'}),
                              opset_version=opset, dynamo=False)
        add_metadata(tmp, meta)
    write_atomically(path, write)
    return meta


def export_onnx(model, path: str, labels: Optional[List[str]] = None, opset: int = 17,
                codebook_input: bool = False, int8: bool = False) -> dict:
    """Write ``model`` (a recognizer with a VTD head, in eval mode) as ONNX to
    ``path`` with the label set ``labels`` (None: the model's) folded in.

    ``int8``: the weights of the matmuls quantised to int8 (ONNX Runtime's
    dynamic quantisation; activations are quantised per call, so the graph
    runs on any CPU). With ``codebook_input`` the graph takes a ``codebook`` [K, D] input (any
    K) besides the frames, for a codebook from :func:`export_text_onnx`'s
    graph; ``labels`` are then the default label set named in the metadata.
    The class names, the frame count and size are stored in the file's
    metadata (``vtd_class_names`` JSON, ``vtd_num_frames``, ``vtd_image_size``,
    ``vtd_codebook_input``) so a runner needs nothing else. Returns that metadata.
    """
    try:
        import onnx  # noqa: F401
    except ImportError as err:
        raise ImportError('ONNX export needs the onnx package: pip install onnx') from err
    model.eval()
    meta = {}

    def write(tmp):
        with label_set(model, labels) as names, torch.no_grad():
            folded = FoldedRecognizer(model).eval()
            folded.head.text_encoder(names)  # cached in eval mode: traced as a constant
            size = tuple(model.backbone.image_size)
            device = next(model.parameters()).device
            inputs = (torch.rand(folded.num_frames, 3, *size, device=device) * 255, )
            kwargs = {}
            if codebook_input:
                inputs += (folded.head.text_encoder(names), )
                kwargs['dynamic_axes'] = dict(codebook={0: 'classes'}, scores={1: 'classes'},
                                              frame_weights={2: 'classes'})
            torch.onnx.export(folded, inputs, tmp,
                              input_names=['frames', 'codebook'][:len(inputs)],
                              output_names=['scores', 'frame_tokens', 'frame_weights'],
                              opset_version=opset, dynamo=False, **kwargs)
        meta.update(vtd_class_names=json.dumps(list(names)),
                    vtd_num_frames=str(folded.num_frames), vtd_image_size=json.dumps(list(size)),
                    vtd_codebook_input=str(int(codebook_input)))
        if codebook_input:
            meta['vtd_text_digest'] = model_digest(folded.head.text_encoder)
        add_metadata(tmp, meta)
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic
            quantized = tmp + '.int8'
            try:
                quantize_dynamic(tmp, quantized, weight_type=QuantType.QInt8)
                os.replace(quantized, tmp)
            finally:
                if os.path.exists(quantized):
                    os.remove(quantized)
    write_atomically(path, write)
    return meta
