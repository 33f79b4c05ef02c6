"""A test hook: every rank saves its final parameters (to compare ranks)."""
import os

import torch
from mmaction.registry import HOOKS
from mmengine.dist import get_rank
from mmengine.hooks import Hook


@HOOKS.register_module()
class RankStateDumpHook(Hook):

    def after_run(self, runner):
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()},
                   os.path.join(runner.work_dir, f'rank{get_rank()}_final.pth'))
