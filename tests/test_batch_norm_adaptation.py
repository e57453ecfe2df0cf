# Copyright (c) semihand_mmpose authors. All rights reserved.
"""AdaBN (``adapt_batch_norm``) where a network's ``train()`` keeps norms in inference mode."""
import torch
from mmpose.models.backbones import ResNet
from torch import nn

from semihand_mmpose.engine import adapt_batch_norm, restore_batch_norm


def _norms(network):
    return [m for m in network.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def _forward(network, batch):
    return network(batch)


class _BackboneThenDropout(nn.Module):

    def __init__(self, backbone):
        super().__init__()
        self.backbone, self.dropout = backbone, nn.Dropout(p=0.9)

    def forward(self, x):
        return self.dropout(self.backbone(x)[-1])


def test_frozen_norms_are_estimated_and_every_mode_is_put_back():
    """A ResNet with ``norm_eval=True`` and ``frozen_stages=1`` gets the same statistics as the
    same weights with every norm free (before the fix its statistics, reset, stayed 0 and 1), and
    every module's mode (the ResNet's norms in inference mode, a dropout in training mode) is put
    back as it was."""
    torch.manual_seed(0)
    free = ResNet(depth=18)
    frozen = ResNet(depth=18, norm_eval=True, frozen_stages=1)
    frozen.load_state_dict(free.state_dict())
    dropped = _BackboneThenDropout(frozen)
    batches = [torch.randn(4, 3, 64, 64) for _ in range(2)]
    free.train()
    dropped.train()
    modes = [m.training for m in dropped.modules()]
    assert not all(modes)  # ResNet.train() left its norms and frozen stages in inference mode
    before = [m.running_mean.clone() for m in _norms(frozen)]

    adapt_batch_norm(free, batches, _forward)
    saved = adapt_batch_norm(dropped, batches, _forward)

    for a, b in zip(_norms(free), _norms(frozen)):
        torch.testing.assert_close(b.running_mean, a.running_mean, atol=0, rtol=0)
        torch.testing.assert_close(b.running_var, a.running_var, atol=0, rtol=0)
    assert _norms(frozen)[0].running_var.min() < 0.9  # not the reset 1.0
    # the statistics are those of the batches: the stem's norm, by hand
    with torch.no_grad():
        stem = torch.cat([frozen.conv1(x) for x in batches])
    torch.testing.assert_close(frozen.bn1.running_mean, stem.mean((0, 2, 3)), atol=1e-5, rtol=1e-4)
    assert [m.training for m in dropped.modules()] == modes
    restore_batch_norm(saved)
    for m, mean in zip(_norms(frozen), before):
        torch.testing.assert_close(m.running_mean, mean, atol=0, rtol=0)


def test_a_dropout_does_not_change_the_statistics():
    """The batches run with dropout off: a batch norm after a dropout gets the statistics of the
    undropped input."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Dropout(p=0.5), nn.BatchNorm1d(3))
    batch = torch.randn(64, 3)
    adapt_batch_norm(net.train(), [batch], _forward)
    torch.testing.assert_close(net[1].running_mean, batch.mean(0), atol=1e-6, rtol=1e-5)
    assert net.training and net[0].training
