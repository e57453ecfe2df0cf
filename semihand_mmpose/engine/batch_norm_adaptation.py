# Copyright (c) semihand_mmpose authors. All rights reserved.
"""AdaBN (Li et al. 2016): a network's batch-norm statistics re-estimated on target images.

SemiHand's student trains with labelled and unlabelled batches in separate forward passes, so its
layers see per-domain batch statistics while its running statistics mix both domains and the
strong views. :class:`SemiHandHook` therefore labels each round, and (``eval_target_bn``) tests,
with statistics of the unlabelled images' original views, then puts the training statistics back
so that training goes on unchanged. This module is that swap, for any network.
"""
from typing import Callable, Iterable, List, Tuple

import torch
from mmengine.dist import all_reduce, get_dist_info
from torch import nn

#: ``(batch-norm module, its buffers as they were)`` for :func:`restore_batch_norm`
SavedStatistics = List[Tuple[nn.Module, dict]]


@torch.no_grad()
def adapt_batch_norm(network: nn.Module, batches: Iterable,
                     forward: Callable[[nn.Module, object], object]) -> SavedStatistics:
    """Replace every batch norm's running statistics in ``network`` with those of ``batches``.

    The statistics are a cumulative average over the batches (momentum ``None`` while they run;
    each module's momentum is put back afterwards) and, under ``torch.distributed``, averaged over
    ranks so every rank holds the same model.

    While the batches run, the batch norms are in training mode and every other module in
    inference mode (no dropout), whatever the network's ``train()`` would choose: a backbone with
    ``norm_eval=True`` or ``frozen_stages`` keeps those norms in inference mode, where they
    neither use nor accumulate batch statistics, and their statistics, reset, stayed at 0 and 1.
    Statistics are not learned weights, so frozen norms are estimated too. Every module's mode
    is put back as it was.

    Args:
        network (nn.Module): The network to adapt (e.g. the student).
        batches (Iterable): What ``forward`` takes, one item per batch; iterated once, in full.
        forward (Callable): ``forward(network, batch)``, run in training mode.

    Returns:
        list: The statistics as they were, for :func:`restore_batch_norm`.
    """
    norms = [m for m in network.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m, {k: v.clone() for k, v in m.named_buffers(recurse=False)}) for m in norms]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    modes = [(m, m.training) for m in network.modules()]
    network.eval()
    for m in norms:
        m.train()
    for batch in batches:
        forward(network, batch)
    for m, training in modes:
        m.training = training
    _, world = get_dist_info()
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
        if world > 1:
            all_reduce(m.running_mean, op='mean')
            all_reduce(m.running_var, op='mean')
    return saved


@torch.no_grad()
def restore_batch_norm(saved: SavedStatistics) -> None:
    """Put back the statistics that :func:`adapt_batch_norm` replaced, bit for bit."""
    for module, buffers in saved:
        for name, value in buffers.items():
            getattr(module, name).copy_(value)
