"""VTD-CLIP's head: text codebook, frame confidence, discretisation, fusion, logits."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS

from ...datasets.class_names import ClassNames, load_class_names
from ..checkpoint_fit import check_keys, state_tensors


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
        num_classes (int): size of the label set used for training.
        in_channels (int): width of the backbone features. If it differs from
            the text embedding width, a linear projection maps to it (e.g. a
            ResNet backbone); 4-D features are average-pooled first, 5-D
            features of 3D backbones over space only (their time steps are
            the frames, see :meth:`frame_features`).
        text_encoder (dict): config of the text side, e.g.
            ``dict(type='CLIPTextEncoder', prompt_learner=...)``.
        class_names (list | str | None): label set; None uses the text
            encoder's ``class_names``.
        fusion (dict | None): config of the fusion module; None skips the
            discrete token (ablation).
        num_frames (int | None): frames per view T (after a 3D backbone: its
            output time steps); None treats each forward call (2D) or each
            clip (3D) as one view.
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

    def __init__(self, num_classes: int, in_channels: int, text_encoder: Dict,
                 class_names: Optional[ClassNames] = None,
                 fusion: Optional[Dict] = dict(type='ConfidenceAwareFusion'),
                 num_frames: Optional[int] = None, temperature: float = 0.01,
                 confidence: bool = True, hub_correction: bool = False,
                 init_logit_scale: Optional[float] = None,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob', **kwargs):
        super().__init__(num_classes, in_channels, loss_cls=loss_cls,
                         average_clips=average_clips, **kwargs)
        self.text_encoder = MODELS.build(text_encoder)
        dim = self.text_encoder.embed_dim
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
        scale = self.text_encoder.init_logit_scale if init_logit_scale is None else init_logit_scale
        self.logit_scale = nn.Parameter(torch.tensor(float(scale)))
        if class_names is not None:
            self.class_names = load_class_names(class_names)
        elif self.text_encoder.class_names is not None:
            self.class_names = list(self.text_encoder.class_names)
        else:
            raise ValueError('VTDHead needs class names: set class_names (a list, '
                             'a .txt file or an id,name .csv file).')
        if len(self.class_names) != num_classes:
            raise ValueError(f'num_classes={num_classes} but the label set has '
                             f'{len(self.class_names)} class names.')
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

    def frame_features(self, x: torch.Tensor, num_segs: int) -> torch.Tensor:
        """Backbone features -> frame features ``[V, T, D]``: V views of T frames.

        - 2D backbones (``Recognizer2D``): one row per frame, ``[N * S, C]`` or
          ``[N * S, C, H, W]`` (pooled over space); the S frames of a video
          form ``S / T`` views of ``T = num_frames``.
        - 3D backbones (``Recognizer3D``): one row per view, ``[N * V, C, T', H, W]``;
          its ``T'`` time steps (the clip length after the backbone's temporal
          strides) are the frames, pooled over space only.
        """
        if x.dim() < 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'VTDHead: the backbone gives features of shape {tuple(x.shape)} '
                f'({x.shape[1] if x.dim() > 1 else "no"} channels), but in_channels='
                f'{self.in_channels}: set cls_head.in_channels to the channels of '
                'the backbone output.')
        if x.dim() == 5:
            steps = x.shape[2]
            if self.num_frames and self.num_frames != steps:
                raise ValueError(
                    f'VTDHead: the 3D backbone gives {steps} time steps per clip, but '
                    f'num_frames={self.num_frames}. After a 3D backbone the frames are its '
                    'output time steps (the clip length divided by its temporal '
                    f'strides): set num_frames={steps}, or None.')
            x = x.flatten(3).mean(-1).transpose(1, 2)                # [V, T', C]
            return self.proj(x) if self.proj is not None else x
        if x.dim() > 2:  # [N*S, C, H, W] (ResNet)
            x = x.flatten(2).mean(-1)
        if self.proj is not None:
            x = self.proj(x)
        t = self.num_frames or num_segs
        if num_segs % t:
            raise ValueError(f'{num_segs} frames per video cannot be split into '
                             f'views of num_frames={t}: set cls_head.num_frames '
                             'to the clip length of the pipeline.')
        return x.reshape(-1, t, x.shape[-1])

    def forward_details(self, x: torch.Tensor, num_segs: int = 1) -> Dict[str, torch.Tensor]:
        """All of the head's outputs for frames ``x`` [N * S, C].

        Returns:
            dict: ``logits`` [B, K] (B = N * views), ``weights`` [B, T, K],
            ``frame_tokens`` [B, T], ``video_token`` [B], ``fused`` [B, T, D].
        """
        f = self.frame_features(x, num_segs)
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
            logits = self.logit_scale.to(dtype).exp() * (weights * cos).sum(1) / weights.sum(1)
        return dict(logits=logits, weights=weights, frame_tokens=tokens,
                    video_token=video_token, fused=fused)

    def loss(self, feats: torch.Tensor, data_samples: Sequence, num_segs: int = 1,
             **kwargs) -> Dict:
        """Training takes one view of ``num_frames`` frames per video."""
        if feats.dim() != 5 and self.num_frames and num_segs != self.num_frames:
            raise ValueError(
                f'VTDHead: training clips have {num_segs} frames, but num_frames='
                f'{self.num_frames}: set clip_len={self.num_frames} (one clip, no '
                'extra crops) in the training pipeline, or num_frames to its clip_len.')
        return super().loss(feats, data_samples, num_segs=num_segs, **kwargs)

    def forward(self, x: torch.Tensor, num_segs: int = 1, **kwargs) -> torch.Tensor:
        """Frames [N * S, C] -> logits [N * views, K]."""
        return self.forward_details(x, num_segs)['logits']

    def predict(self, feats: torch.Tensor, data_samples: Sequence,
                num_segs: int = 1, **kwargs) -> List:
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
