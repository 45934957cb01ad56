"""Read augpro datasets (MosaicML MDS shards) from Python with numpy and zstandard only.

>>> from augpro import AugProDataset
>>> ds = AugProDataset("out/quickstart", verify=["sha1"])
>>> ds[0]["input_ids"]

With PyTorch installed, ``augpro.torch_data`` has ``TorchDataset`` and a padding ``collate``.
"""

from .dataset import AugProDataset
from .mds import DatasetError

__all__ = ["AugProDataset", "DatasetError"]
__version__ = "0.1.0"
