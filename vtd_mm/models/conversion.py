"""Import checkpoints of the authors' VTD code and of ViFi-CLIP into vtd_mm.

Their model's ``state_dict()`` (optionally under ``{'model': ...}`` and with a
``module.`` prefix) maps to a ``Recognizer2D(CLIPVisionBackbone, VTDHead)``:

==============================================  ==========================================
source                                          vtd_mm
==============================================  ==========================================
``image_encoder.X``                             ``backbone.visual.X``
``image_encoder.VPT`` [n, W]                    ``backbone.prompts[0]``
``image_encoder...resblocks.N.VPT_shallow``     ``backbone.prompts[N]``
``text_encoder.X``                              ``cls_head.text_encoder.text.X``
``prompt_learner.ctx`` [n, W]                   ``cls_head.text_encoder.prompt_learner.ctx[0]``
``text_encoder...resblocks.N.VPT_shallow``      ``cls_head.text_encoder.prompt_learner.ctx[N]``
``lrf.multihead_attn1.{q,k,v,out}_proj.*``      ``cls_head.fusion.{q,k,v,out}_proj.*``
``lrf.fc1.*`` / ``lrf.fc2.*``                   ``cls_head.fusion.fc1.*`` / ``fc2.*``
``logit_scale``                                 ``cls_head.logit_scale``
CLIP weights ``token_embedding.weight``         ``cls_head.text_encoder.text.token_embedding``
                                                ``.weight``
==============================================  ==========================================

``prompt_learner.token_prefix`` / ``token_suffix`` are derived buffers and
dropped. Any other key is an error, so nothing is lost silently.
"""
import re
from typing import Dict, Tuple

import torch

_DERIVED = ('prompt_learner.token_prefix', 'prompt_learner.token_suffix')
_DEEP = re.compile(r'^(image_encoder|text_encoder)\.transformer\.resblocks\.(\d+)\.VPT_shallow$')
_LRF = re.compile(r'^lrf\.(multihead_attn1\.)?((q|k|v|out)_proj|fc1|fc2)\.(weight|bias)$')


def unwrap(checkpoint) -> Dict[str, torch.Tensor]:
    """The model state dict of a source checkpoint, ``module.`` removed, float32."""
    sd = checkpoint.get('model', checkpoint.get('state_dict', checkpoint))
    if not isinstance(sd, dict):
        raise ValueError('The checkpoint holds no state dict (expected {"model": ...}).')
    out = {}
    for k, v in sd.items():
        k = k[len('module.'):] if k.startswith('module.') else k
        if torch.is_tensor(v):
            out[k] = v.float() if v.is_floating_point() else v
    if not any(k.startswith('image_encoder.') for k in out):
        raise ValueError('This is not a VTD / ViFi-CLIP checkpoint: it has no '
                         f'image_encoder.* keys (first keys: {list(out)[:5]}).')
    return out


def _stack_prompts(first, deep: Dict[int, torch.Tensor], what: str):
    """Shallow prompt [n, W] + deep prompts {layer: [n, W]} -> [depth, n, W]."""
    layers = sorted(deep)
    if layers != list(range(1, len(layers) + 1)):
        raise ValueError(f'{what}: deep prompts at layers {layers}; expected 1..D-1.')
    if first is None:
        if layers:
            raise ValueError(f'{what}: deep prompts without input prompts.')
        return None
    return torch.stack([first] + [deep[i] for i in layers])


def convert_state_dict(src: Dict[str, torch.Tensor],
                       token_embedding: torch.Tensor) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Authors' VTD / ViFi-CLIP state dict -> vtd_mm state dict.

    Args:
        src: the unwrapped source state dict (see :func:`unwrap`).
        token_embedding: ``[vocab, W_t]`` from the CLIP weights the source
            model was built on.

    Returns:
        (state dict, settings): settings gives the prompt sizes and whether a
        fusion module was found, i.e. what the vtd_mm config must say.
    """
    out, unknown = {}, []
    deep = {'image_encoder': {}, 'text_encoder': {}}
    vis_first = txt_first = None
    for k, v in src.items():
        m = _DEEP.match(k)
        lrf = _LRF.match(k)
        if k in _DERIVED:
            continue
        if m:
            deep[m.group(1)][int(m.group(2))] = v
        elif k == 'image_encoder.VPT':
            vis_first = v
        elif k == 'prompt_learner.ctx':
            txt_first = v
        elif k == 'logit_scale':
            out['cls_head.logit_scale'] = v.reshape(())
        elif lrf:
            out[f'cls_head.fusion.{lrf.group(2)}.{lrf.group(4)}'] = v
        elif k.startswith('image_encoder.'):
            out['backbone.visual.' + k[len('image_encoder.'):]] = v
        elif k.startswith('text_encoder.'):
            out['cls_head.text_encoder.text.' + k[len('text_encoder.'):]] = v
        else:
            unknown.append(k)
    if unknown:
        raise ValueError(f'Unknown keys in the source checkpoint: {unknown[:10]}')
    vis = _stack_prompts(vis_first, deep['image_encoder'], 'image prompts')
    txt = _stack_prompts(txt_first, deep['text_encoder'], 'text prompts')
    if vis is not None:
        out['backbone.prompts'] = vis
    if txt is not None:
        out['cls_head.text_encoder.prompt_learner.ctx'] = txt
    width = out['cls_head.text_encoder.text.positional_embedding'].shape[1]
    if token_embedding.shape[1] != width:
        raise ValueError(f'The CLIP weights have a token embedding of width '
                         f'{token_embedding.shape[1]}, the text tower {width}: '
                         'pass the CLIP file the model was trained from.')
    out['cls_head.text_encoder.text.token_embedding.weight'] = token_embedding.float()
    settings = dict(
        vision_n_ctx=0 if vis is None else vis.shape[1],
        vision_depth=0 if vis is None else vis.shape[0],
        text_n_ctx=0 if txt is None else txt.shape[1],
        text_depth=0 if txt is None else txt.shape[0],
        fusion=any(k.startswith('cls_head.fusion.') for k in out))
    return out, settings
