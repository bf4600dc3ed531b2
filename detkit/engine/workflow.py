"""Checking a runner workflow such as ``[('train', 1), ('val', 1)]`` against its loaders."""

from __future__ import annotations


def check_workflow(workflow: list, data_loaders: list, runner: str) -> None:
    """Reject a workflow that does not fit the loaders (shared by both runners)."""
    if not isinstance(data_loaders, (list, tuple)):
        raise TypeError(
            f'{runner}.run: data_loaders must be a list, but got {type(data_loaders).__name__}'
        )
    if len(data_loaders) != len(workflow):
        raise ValueError(
            f'{runner}.run: {len(data_loaders)} data loader(s) for a workflow of '
            f'{len(workflow)} phase(s) {workflow}; give one loader per phase'
        )
    for mode, n in workflow:
        if mode not in ('train', 'val'):
            raise ValueError(
                f"{runner}.run: workflow mode must be 'train' or 'val', but got "
                f'{mode!r} in {workflow}'
            )
        if not isinstance(n, int) or n < 1:
            raise ValueError(
                f'{runner}.run: workflow phase ({mode!r}, {n!r}) needs a positive int count'
            )
    if not any(mode == 'train' for mode, _ in workflow):
        # the counters that end a run only advance in training phases
        raise ValueError(
            f"{runner}.run: workflow {workflow} has no 'train' phase, so it would never end; "
            'evaluate a trained model with tools/test.py instead'
        )
