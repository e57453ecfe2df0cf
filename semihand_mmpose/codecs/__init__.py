# Copyright (c) semihand_mmpose authors. All rights reserved.
from .hand25d import Hand25DCoordinate

__all__ = ['Hand25DCoordinate']
