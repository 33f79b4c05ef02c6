# MMAction2's SGD schedule (its _base_/schedules/sgd_100e.py), for the
# families whose configs are test-only (X3D, VideoMAE).
_base_ = ['mmaction::_base_/schedules/sgd_100e.py']
