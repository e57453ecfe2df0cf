# Copyright (c) semihand_mmpose authors. All rights reserved.
