# Base-to-novel protocol settings of VTD-CLIP (HMDB-51, UCF-101, K400): 32
# frames, prompts of 16 tokens at depth 9 (vision and text), effective batch 64
# (8 GPUs x 8 clips), AdamW; trained on 16 shots of each base class, tested on
# the base and on the novel classes (test_sets), harmonic mean of the two:
#   python tools/test_protocol.py CONFIG s1.pth s2.pth s3.pth
# The dataset configs set the lists of one seed (s1 / s2 / s3), the novel test
# set, epochs and lr. The base test set is the test loader: the base classes'
# validation list.
_base_ = ['vtd_protocol_32f.py']

n_ctx, depth = 16, 9
effective_batch_size = 64

model = dict(
    backbone=dict(n_ctx=n_ctx, depth=depth),
    cls_head=dict(text_encoder=dict(prompt_learner=dict(n_ctx=n_ctx, depth=depth))))
train_dataloader = dict(batch_size=8)
auto_scale_lr = dict(base_batch_size=effective_batch_size)
test_sets = dict(base=dict(group='base'), novel=dict(group='novel'))
