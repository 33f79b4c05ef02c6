import os

from setuptools import find_packages, setup

here = os.path.dirname(os.path.abspath(__file__))
version = {}
with open(os.path.join(here, 'vtd_mm', 'version.py')) as f:
    exec(f.read(), version)

setup(
    name='vtd_mm',
    version=version['__version__'],
    description='VTD-CLIP and contrastive knowledge distillation for MMAction2',
    long_description=open(os.path.join(here, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vtd_mm', 'vtd_mm.*']),
    package_data={'vtd_mm': ['datasets/labels/*.csv', 'datasets/labels/*.txt',
                            'demo/weights/*.pt']},
    python_requires='>=3.9',
    install_requires=[
        'torch>=2.1', 'torchvision', 'mmengine>=0.10', 'mmcv-lite>=2.0,<2.2',
        'mmaction2>=1.2', 'open_clip_torch>=2.23', 'decord', 'importlib-metadata',
    ],
    extras_require={'search': ['faiss-cpu'],  # tools/search.py
                    'deploy': ['onnx', 'onnxruntime']},  # tools/deploy/
    license='Apache-2.0',
)
