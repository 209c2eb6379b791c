"""The whole draw: the sample (``derive``, standard library) and the optimal teams (the solver)."""

from __future__ import annotations

from inspect_sched.core.assign.optimum import assign
from inspect_sched.core.derive import Derivation, derive_sample
from inspect_sched.core.frame import DrawSpec
from inspect_sched.core.inputs import Inputs


def derive(inputs: Inputs, spec: DrawSpec, seed: str) -> Derivation:
    """Sample every stratum (draw-v1) and assign teams (assign-v1). Raises AssignmentInfeasible."""
    s = derive_sample(inputs, spec, seed)
    selected = [r.framed.firm for r in s.sample]
    return s.with_assignment(assign(seed, selected, inputs.inspectors, s.exclusions, s.rules))
