"""GPU-hour estimator for the proposal form: how long training a model on N tokens takes.

The rule of thumb (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", sec. 2.1;
Hoffmann et al. 2022, "Chinchilla"): training a dense transformer costs about
6 x parameters x tokens floating-point operations (2 for the forward pass, 4 for the
backward). Fine-tuning with LoRA skips the weight gradients of the frozen model: about
4 x parameters x tokens. Inference (generation) costs about 2 x parameters x tokens.

Time on one GPU = FLOPs / (peak dense BF16 throughput x model FLOPs utilisation, MFU).
Peak numbers are the vendors' datasheets, dense (no structured sparsity):
  * NVIDIA GH200 (H100-class Hopper GPU): 989 TFLOP/s BF16 dense (NVIDIA GH200 Grace Hopper
    Superchip datasheet lists 1,979 TFLOP/s "with sparsity"; dense is half). JUPITER runs its
    GH200 modules with a reduced power cap, so we assume a conservative 35% MFU (large
    Megatron-LM runs on H100 report 40-50%).
  * AMD MI250X: 383 TFLOP/s BF16 dense per module (AMD Instinct MI250X datasheet), i.e.
    191.5 per GCD; Slurm on LUMI counts GCDs, LUMI bills per module ("GPU-hour" = one
    MI250X module). Published LLM training on MI250X (Frontier, LUMI: e.g. Dash et al. 2023,
    "Optimizing distributed training on Frontier for large language models") reaches
    roughly 30-35% MFU: we assume 30%.
  * NVIDIA L40S (the sandbox): 362 TFLOP/s BF16 dense (NVIDIA L40S datasheet, 733 with
    sparsity); we assume 30% MFU (PCIe, no NVLink).
These are assumptions, shown on the page, and the applicant's own measurement always wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Method(models.TextChoices):
    TRAIN = "train", _("Training or full fine-tuning (6 x parameters x tokens)")
    LORA = "lora", _("LoRA / adapter fine-tuning (4 x parameters x tokens)")
    INFERENCE = "inference", _("Inference: generating or scoring tokens "
                               "(2 x parameters x tokens)")


FLOPS_PER_PARAM_TOKEN = {Method.TRAIN: 6, Method.LORA: 4, Method.INFERENCE: 2}


@dataclass(frozen=True)
class GpuProfile:
    """One GPU as a factory bills it: one antenna GPU-hour is one hour of this unit."""

    model: str
    label: str
    peak_tflops: float  # dense BF16, per billed unit
    mfu: float
    source: str


GPU_PROFILES: dict[str, GpuProfile] = {
    "gh200": GpuProfile("gh200", "NVIDIA GH200", 989.0, 0.35,
                        "NVIDIA GH200 datasheet: 1,979 TFLOP/s BF16 with sparsity, 989 dense"),
    "mi250x": GpuProfile("mi250x", "AMD MI250X (one module = 2 GCDs)", 383.0, 0.30,
                         "AMD Instinct MI250X datasheet: 383 TFLOP/s BF16 dense"),
    "l40s": GpuProfile("l40s", "NVIDIA L40S", 362.0, 0.30,
                       "NVIDIA L40S datasheet: 733 TFLOP/s BF16 with sparsity, 362 dense"),
}
DEFAULT_MARGIN = 0.2  # tests, restarts, evaluation, failed runs


@dataclass(frozen=True)
class Estimate:
    profile: GpuProfile
    flops: float
    gpu_hours: int  # including the margin, rounded up

    @property
    def sustained_tflops(self) -> float:
        return self.profile.peak_tflops * self.profile.mfu


def total_flops(*, parameters: float, tokens: float, method: str = Method.TRAIN,
                epochs: int = 1) -> float:
    """FLOPs to process `tokens` (per epoch) through a model of `parameters`."""
    if parameters <= 0 or tokens <= 0 or epochs < 1:
        raise ValueError("parameters, tokens and epochs must be positive")
    return FLOPS_PER_PARAM_TOKEN[Method(method)] * parameters * tokens * epochs


def estimate(*, parameters: float, tokens: float, method: str = Method.TRAIN, epochs: int = 1,
             margin: float = DEFAULT_MARGIN,
             profiles: list[GpuProfile] | None = None) -> list[Estimate]:
    """GPU-hours on each GPU profile (one billed unit per hour), with `margin` added."""
    flops = total_flops(parameters=parameters, tokens=tokens, method=method, epochs=epochs)
    out = []
    for profile in profiles if profiles is not None else list(GPU_PROFILES.values()):
        seconds = flops / (profile.peak_tflops * 1e12 * profile.mfu)
        out.append(Estimate(profile=profile, flops=flops,
                            gpu_hours=max(1, math.ceil(seconds / 3600 * (1 + margin)))))
    return out
