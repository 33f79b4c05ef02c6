"""VTD-CLIP's head: text codebook, frame confidence, discretisation, fusion, logits."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmengine.logging import print_log

from ...datasets.class_names import ClassNames, load_class_names
from ..checkpoint_fit import check_keys, state_tensors

# a tensor, SlowFast's two pathways or MViT's outputs per scale
Features = Union[torch.Tensor, Tuple, List]


@MODELS.register_module()
class VTDHead(BaseHead):
    """Video-to-text discretisation head of VTD-CLIP.

    Per view of T frames with features ``f_t`` and the codebook ``c_k`` of the
    class names (prompted text tower):

    1. confidence ``w_kt = softmax_t(cos(f_t, c_k) / temperature)``;
    2. tokens ``k_t = argmin_k ||f_t - c_k||^2``, votes
       ``v_k = sum_t [k_t = k] w_kt``, video token ``z = c_{argmax v}``;
    3. fusion ``f~_t = fusion(f_t, z)``;
    4. logits ``l_k = exp(logit_scale) sum_t w_kt cos(f~_t, c_k) / sum_t w_kt``.

    Opt-in, beyond the paper (``hub_correction=True``), step 1 becomes

    1'. ``w_kt = softmax_t((cos(f_t, c_k) - h_t) / temperature)``, with the
        frame's hubness ``h_t = mean_j cos(f_t, c_j)`` over the label set,

    as CSLS corrects hubs in nearest-neighbour retrieval (Conneau et al.,
    "Word translation without parallel data", ICLR 2018). The authors'
    weights are relative over frames only: a frame that resembles *every*
    class (a hub; in the demo world, noise frames once the prompts are
    trained) is the best frame of many classes at once and gives each a
    full vote. Centring over classes scores how much more a frame is about
    class ``k`` than about the others (docs/demo.md). Off by default, which
    is exactly the authors' method.

    The softmax and the logits run in fp32 under autocast (in float64 for
    float64 inputs). At test time the
    frames of all views of a video arrive together (``num_segs = views * T``):
    each view of ``num_frames`` frames is scored on its own and MMAction2's
    ``average_clips`` combines them.

    Args:
        num_classes (int | None): size of the label set used for training;
            None takes it from the label set (given, it must match).
        in_channels (int | None): width of the backbone features (SlowFast:
            both pathways, ``Cs + Cf``). If it differs from the text embedding
            width, a linear projection maps to it (e.g. a ResNet backbone).
            None: the text embedding width (a CLIP vision backbone of the
            same CLIP).
            Feature maps are pooled over space only: the time steps of a 3D
            backbone are the frames (see :meth:`frame_features`, and
            docs/mixing.md for every MMAction2 family).
        text_encoder (dict): config of the text side, e.g.
            ``dict(type='CLIPTextEncoder', prompt_learner=...)``.
        class_names (list | str | None): label set; None uses the text
            encoder's ``class_names``.
        fusion (dict | None): config of the fusion module; None skips the
            discrete token (ablation).
        num_frames (int | None): frames per view T (after a 3D backbone: its
            output time steps); None takes what comes: after a 2D backbone
            all frames of a video are one view (TSN-style sampling, whose
            segment count differs between training and test), after a 3D
            one each clip is a view with the backbone's time steps.
        temperature (float): temperature of the frame-confidence softmax.
        confidence (bool): False weights frames uniformly (ablation).
        hub_correction (bool): centre each frame's similarities over the
            label set before the confidence softmax (step 1', beyond the
            paper; needs ``confidence=True``).
        init_logit_scale (float | None): None takes CLIP's (from the weights).
        loss_cls (dict): classification loss, cross-entropy by default.
        average_clips (str): how views are combined at test ('prob' sums
            softmax scores, as the authors do).
    """

    def __init__(self, num_classes: Optional[int] = None, in_channels: Optional[int] = None,
                 text_encoder: Optional[Dict] = None, class_names: Optional[ClassNames] = None,
                 fusion: Optional[Dict] = dict(type='ConfidenceAwareFusion'),
                 num_frames: Optional[int] = None, temperature: float = 0.01,
                 confidence: bool = True, hub_correction: bool = False,
                 init_logit_scale: Optional[float] = None,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob', **kwargs):
        # both sizes are known once the text encoder and the label set are
        super().__init__(num_classes or 0, in_channels or 0, loss_cls=loss_cls,
                         average_clips=average_clips, **kwargs)
        if text_encoder is None:
            raise ValueError("VTDHead needs text_encoder, e.g. dict(type='CLIPTextEncoder', ...).")
        self.text_encoder = MODELS.build(text_encoder)
        dim = self.text_encoder.embed_dim
        in_channels = self.in_channels = in_channels or dim
        self.proj = nn.Linear(in_channels, dim) if in_channels != dim else None
        if fusion is not None:
            fusion = dict(fusion)
            fusion.setdefault('embed_dims', dim)
            self.fusion = MODELS.build(fusion)
        else:
            self.fusion = None
        self.num_frames, self.temperature, self.confidence = num_frames, temperature, confidence
        if hub_correction and not confidence:
            raise ValueError('VTDHead: hub_correction=True changes the confidence weights; '
                             'it needs confidence=True.')
        self.hub_correction = hub_correction
        self._said_clip_tokens = False
        scale = self.text_encoder.init_logit_scale if init_logit_scale is None else init_logit_scale
        self.logit_scale = nn.Parameter(torch.tensor(float(scale)))
        if class_names is not None:
            self.class_names = load_class_names(class_names)
        elif self.text_encoder.class_names is not None:
            self.class_names = list(self.text_encoder.class_names)
        else:
            raise ValueError('VTDHead needs class names: set class_names (a list, '
                             'a .txt file or an id,name .csv file).')
        if num_classes is not None and len(self.class_names) != num_classes:
            raise ValueError(f'num_classes={num_classes} but the label set has '
                             f'{len(self.class_names)} class names.')
        self.num_classes = len(self.class_names)
        self.text_encoder.tokenize(self.class_names)  # names must give distinct prompts

    def init_weights(self):
        """Keep CLIP's weights; the fusion layers use PyTorch's default init."""

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Every tensor of the head must be in the checkpoint, with its shape
        (the text encoder checks its own part)."""
        check_keys(self, state_dict, prefix, state_tensors(self), delegated=('text_encoder.',))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def set_class_names(self, class_names: ClassNames) -> None:
        """Swap the label set (zero-shot / novel classes); the codebook follows."""
        names = load_class_names(class_names)
        self.text_encoder.tokenize(names)  # names must give distinct prompts
        self.class_names = names
        self.num_classes = len(names)

    def frame_features(self, x: Features, num_segs: Optional[int]) -> torch.Tensor:
        """Backbone features -> frame features ``[V, T, D]``: V views of T frames.

        After a 2D backbone (``Recognizer2D``, which passes ``num_segs``, the
        S frames per video): one row per frame, ``[N * S, C]`` or
        ``[N * S, C, H, W]`` (pooled over space); the S frames of a video form
        ``S / T`` views of ``T = num_frames`` (None: one view of all S).

        After a 3D backbone (``Recognizer3D``, ``num_segs`` None), one row per
        clip (view):

        - ``[N * V, C, T', H, W]``: the T' time steps (the clip length after
          the backbone's temporal strides: I3D, SlowOnly, X3D, R(2+1)D, Swin,
          VideoMAE with ``return_feat_map=True``, ``CLIPVisionBackbone``) are
          the frames, pooled over space;
        - ``[N * V, C, T']``: per-frame tokens of a frame-token backbone
          (``TimeSformerFrames``, ``UniFormerV2Frames``);
        - two pathways ``(slow [N*V, Cs, T, H, W], fast [N*V, Cf, a*T, H, W])``
          (SlowFast): the fast pathway is averaged over each slow step's ``a``
          steps and concatenated to the slow one, ``C = Cs + Cf`` at the slow
          pathway's T steps. Both cover the same span; the slow pathway holds
          most channels (the appearance CLIP's words describe) and sets the
          frames, and the channels are those of MMAction2's SlowFastHead;
        - multi-scale output (MViT: a tuple of ``[patch tokens, cls token]``
          or of patch tokens per scale): the last scale's patch tokens
          ``[N*V, C, T', H', W']``;
        - ``[N * V, C]``, a backbone that pools time away (C3D; TimeSformer,
          UniFormerV2 as MMAction2 builds them): each clip is one token
          (``T = 1``, its weight is 1 and the video token is the clip's nearest
          class). Needs ``num_frames`` None or 1.
        """
        x = self._unpack_backbone_output(x)
        if x.dim() < 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'VTDHead: the backbone gives features of shape {tuple(x.shape)} '
                f'({x.shape[1] if x.dim() > 1 else "no"} channels), but in_channels='
                f'{self.in_channels}: set cls_head.in_channels to the channels of '
                'the backbone output.')
        if num_segs is None or x.dim() in (3, 5):
            x = self._clip_frames(x)
        else:
            if x.dim() == 4:  # [N*S, C, H, W] (ResNet)
                x = x.flatten(2).mean(-1)
            elif x.dim() != 2:
                raise ValueError(f'VTDHead: features of shape {tuple(x.shape)} after a 2D '
                                 'backbone; expected [N*S, C] or [N*S, C, H, W].')
            t = self.num_frames or num_segs
            if num_segs % t:
                raise ValueError(
                    f'VTDHead: {num_segs} frames per video cannot be split into views of '
                    f'num_frames={t}. If the pipeline samples clips of {t} frames, '
                    'check its num_clips and crops; with TSN-style sampling (clip_len=1, '
                    'a segment count that differs between training and test) set '
                    'num_frames=None: all frames of a video are one view, as the '
                    "consensus of MMAction2's TSNHead averages them all.")
            x = x.reshape(-1, t, x.shape[-1])
        return self.proj(x) if self.proj is not None else x

    @staticmethod
    def _unpack_backbone_output(x: Features) -> torch.Tensor:
        """One tensor from a two-pathway (SlowFast) or multi-scale (MViT) output."""
        if torch.is_tensor(x):
            return x
        parts = list(x)
        if len(parts) == 2 and all(torch.is_tensor(p) and p.dim() == 5 for p in parts) \
                and parts[0].shape[-2:] == parts[1].shape[-2:] \
                and parts[1].shape[2] % parts[0].shape[2] == 0:
            slow, fast = parts
            steps = slow.shape[2]
            fast = fast.reshape(*fast.shape[:2], steps, -1, *fast.shape[-2:]).mean(3)
            return torch.cat([slow, fast], dim=1)
        last = parts[-1]
        if isinstance(last, (tuple, list)):  # [patch tokens, cls token]
            last = last[0]
        if torch.is_tensor(last) and last.dim() == 5:
            return last
        raise ValueError(
            'VTDHead: the backbone gives a sequence of '
            f'{[tuple(p.shape) if torch.is_tensor(p) else type(p).__name__ for p in parts]}; '
            'the head takes one tensor, two SlowFast pathways (5-D, same spatial size) '
            'or multi-scale outputs whose last one holds 5-D patch tokens.')

    def _clip_frames(self, x: torch.Tensor) -> torch.Tensor:
        """One row per clip -> ``[V, T, C]`` (see :meth:`frame_features`)."""
        if x.dim() == 5:
            x = x.flatten(3).mean(-1)                                    # [V, C, T']
        elif x.dim() == 2:
            if self.num_frames not in (None, 1):
                raise ValueError(
                    f'VTDHead: the backbone gives one feature per clip {tuple(x.shape)} '
                    '(it pools time away), so each clip is one token, but num_frames='
                    f'{self.num_frames}. Set num_frames=None, or give the head the '
                    "backbone's per-frame tokens (TimeSformer -> TimeSformerFrames, "
                    'UniFormerV2 -> UniFormerV2Frames, VideoMAE ViT: return_feat_map=True).')
            if not self._said_clip_tokens:
                print_log(
                    f'VTDHead: the backbone gives one feature per clip {tuple(x.shape)}: each '
                    'clip is one token, so its confidence weight is 1 for every class and the '
                    "video token is the clip's nearest class name (docs/mixing.md).",
                    logger='current', level=logging.WARNING)
                self._said_clip_tokens = True
            x = x[:, :, None]
        elif x.dim() != 3:
            raise ValueError(f'VTDHead: clip features of shape {tuple(x.shape)}; expected '
                             '[V, C], [V, C, T] or [V, C, T, H, W].')
        steps = x.shape[2]
        if self.num_frames and self.num_frames != steps:
            raise ValueError(
                f'VTDHead: the backbone gives {steps} time steps per clip, but '
                f'num_frames={self.num_frames}. After a 3D backbone the frames are its '
                'output time steps (the clip length divided by its temporal '
                f'strides): set num_frames={steps}, or None.')
        return x.transpose(1, 2)                                         # [V, T, C]

    def forward_details(self, x: Features, num_segs: Optional[int] = None,
                        codebook: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """All of the head's outputs for backbone features ``x`` (see
        :meth:`frame_features`; ``num_segs`` None after a 3D backbone),
        against ``codebook`` [K, D] when given (encoded elsewhere, e.g. by an
        exported text tower), else the text encoder's codebook of the label set.

        Returns:
            dict: ``logits`` [B, K] (B = N * views), ``weights`` [B, T, K],
            ``frame_tokens`` [B, T], ``video_token`` [B], ``frames`` [B, T, D]
            (the frame features, see :meth:`frame_features`), ``fused``
            [B, T, D], ``frame_logits`` [B, T, K] (each fused frame against the
            codebook, at the logit scale: ``logits`` is their weighted mean).
        """
        f = self.frame_features(x, num_segs)
        if codebook is None:
            codebook = self.text_encoder(self.class_names)
        # at least fp32 (float64 stays float64, for exactness checks)
        dtype = torch.promote_types(f.dtype, torch.float32)
        with torch.autocast(device_type=f.device.type, enabled=False):
            f32, c32 = f.to(dtype), codebook.to(dtype)
            c_unit = F.normalize(c32, dim=-1)
            if self.confidence:
                sim = F.normalize(f32, dim=-1) @ c_unit.t()               # [B, T, K]
                if self.hub_correction:                                  # step 1'
                    sim = sim - sim.mean(dim=-1, keepdim=True)
                weights = torch.softmax(sim / self.temperature, dim=1)
            else:
                weights = f32.new_full((f.shape[0], f.shape[1], c32.shape[0]),
                                       1.0 / f.shape[1])
            with torch.no_grad():
                # ||f - c||^2 = ||f||^2 - 2 f.c + ||c||^2; ||f||^2 is the same for all k
                dist = c32.square().sum(-1) - 2 * f32 @ c32.t()
                tokens = dist.argmin(dim=-1)                            # [B, T]
                votes = torch.zeros_like(weights[:, 0]).scatter_add_(
                    1, tokens, weights.gather(2, tokens[..., None]).squeeze(-1))
                video_token = votes.argmax(dim=-1)                      # [B]
        fused = f
        if self.fusion is not None:
            fused = self.fusion(f, codebook[video_token].to(f.dtype)[:, None])
        with torch.autocast(device_type=f.device.type, enabled=False):
            cos = F.normalize(fused.to(dtype), dim=-1) @ c_unit.t()        # [B, T, K]
            frame_logits = self.logit_scale.to(dtype).exp() * cos
            logits = (weights * frame_logits).sum(1) / weights.sum(1)
        return dict(logits=logits, weights=weights, frame_tokens=tokens,
                    video_token=video_token, frames=f, fused=fused, frame_logits=frame_logits)

    def loss(self, feats: Features, data_samples: Sequence, num_segs: Optional[int] = None,
             **kwargs) -> Dict:
        """Training takes one view of ``num_frames`` frames per video."""
        if num_segs is not None and self.num_frames and num_segs != self.num_frames:
            raise ValueError(
                f'VTDHead: training clips have {num_segs} frames, but num_frames='
                f'{self.num_frames}: set clip_len={self.num_frames} (one clip, no '
                'extra crops) in the training pipeline, or num_frames to its clip_len.')
        return super().loss(feats, data_samples, num_segs=num_segs, **kwargs)

    def forward(self, x: Features, num_segs: Optional[int] = None, **kwargs) -> torch.Tensor:
        """Backbone features -> logits [N * views, K] (``num_segs``: frames
        per video after a 2D backbone, None after a 3D one)."""
        return self.forward_details(x, num_segs)['logits']

    def predict(self, feats: Features, data_samples: Sequence,
                num_segs: Optional[int] = None, **kwargs) -> List:
        """Scores, labels and the interpretable outputs of each video.

        Besides ``pred_score`` / ``pred_label``, every sample gets per view:
        ``frame_tokens`` [V, T] (the class id each frame reads as),
        ``frame_token_names``, ``frame_weights`` [V, T] (the confidence of
        each frame for the predicted class), ``video_token`` [V] and
        ``video_token_names``.
        """
        out = self.forward_details(feats, num_segs)
        samples = self.predict_by_feat(out['logits'], data_samples)
        views = out['logits'].shape[0] // len(samples)
        names = self.class_names
        for i, sample in enumerate(samples):
            sl = slice(i * views, (i + 1) * views)
            tokens, video = out['frame_tokens'][sl], out['video_token'][sl]
            pred = int(sample.pred_label)
            sample.set_field(tokens.cpu(), 'frame_tokens')
            sample.set_field([[names[k] for k in row] for row in tokens.tolist()],
                             'frame_token_names')
            sample.set_field(out['weights'][sl, :, pred].detach().cpu(), 'frame_weights')
            sample.set_field(video.cpu(), 'video_token')
            sample.set_field([names[k] for k in video.tolist()], 'video_token_names')
        return samples
