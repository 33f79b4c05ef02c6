"""tools/test.py --dump keeps no dataloader shared memory (open files) per video."""
import copy
import gc
import os

from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.evaluator import DumpResults
from torch.utils.data import DataLoader

from vtd_mm.evaluation import DumpPredictions

from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


def open_files():
    return len(os.listdir('/proc/self/fd'))


def test_dump_does_not_keep_a_file_per_video(tmp_path):
    make_dataset(str(tmp_path), per_class=8, splits=('val',))       # 24 videos
    os.environ['VTD_TINY_DATA'] = str(tmp_path)
    try:
        cfg = copy.deepcopy(Config.fromfile(TINY_CFG).val_dataloader.dataset)
    finally:
        os.environ.pop('VTD_TINY_DATA')
    dataset = DATASETS.build(cfg)
    growth = {}
    for metric_type in (DumpResults, DumpPredictions):
        metric = metric_type(out_file_path=str(tmp_path / 'dump.pkl'))
        gc.collect()
        before = open_files()
        loader = DataLoader(dataset, batch_size=1, num_workers=1, collate_fn=pseudo_collate)
        for batch in loader:
            samples = [s.to_dict() for s in batch['data_samples']]
            assert samples[0]['gt_label'].is_shared()   # from a worker: shared memory
            metric.process(batch, samples)
        del loader, batch, samples
        gc.collect()
        growth[metric_type.__name__] = open_files() - before
        if metric_type is DumpPredictions:
            assert not any(r['gt_label'].is_shared() for r in metric.results)
            assert [int(r['gt_label']) for r in metric.results] == [i // 8 for i in range(24)]
        metric.results.clear()
    # mmengine's DumpResults holds one shared block (an open file) per video
    assert growth['DumpResults'] >= 24 and growth['DumpPredictions'] <= 1, growth
