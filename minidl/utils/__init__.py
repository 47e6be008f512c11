"""``minidl.utils``: where PyTorch programs find the data tools (``minidl.utils.data``)."""
from minidl.utils import data
