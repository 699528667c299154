"""Job templates ("recipes") for people who do not know Slurm.

Each recipe asks a few fields and writes a bash script, with a variant per kind of factory:
CUDA on JUPITER's GH200, ROCm on LUMI's MI250X, generic on the antenna sandbox. The scripts
run the work inside the recipe's container when Apptainer/Singularity is available, and
degrade gracefully where the software is missing (the demo's local factories: no GPUs, no
containers, no internet): they print what they would run and exit 0, saying so.
Set ANTENNA_DRY_RUN=1 to force that behaviour.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from django.utils.translation import gettext_lazy as _

from antenna.factories.models import Factory, FactoryKind

CUDA = "cuda"
ROCM = "rocm"
GENERIC = "generic"

CONTAINERS = {
    # NGC PyTorch release 24.09 (PyTorch 2.5, CUDA 12.6), built for arm64 too (GH200 is ARM).
    CUDA: "nvcr.io/nvidia/pytorch:24.09-py3",
    # AMD's ROCm PyTorch image; on LUMI the LUMI AI Factory also ships tested images under
    # /appl/local/containers/sif-images/ (e.g. lumi-pytorch-rocm-6.2.*.sif).
    ROCM: "rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0",
    GENERIC: "",
}
FLAVOUR_LABELS = {
    CUDA: _("NVIDIA CUDA (GH200)"),
    ROCM: _("AMD ROCm (MI250X)"),
    GENERIC: _("Generic (sandbox)"),
}

SAFE_VALUE = re.compile(r"^[A-Za-z0-9._/:@+=,-]*$")


def flavour_of(factory: Factory, gpu_model: str = "") -> str:
    """CUDA, ROCm or generic: the sandbox is generic, AMD GPUs are ROCm, the rest CUDA."""
    if factory.kind == FactoryKind.SANDBOX:
        return GENERIC
    return ROCM if gpu_model.lower().startswith("mi") else CUDA


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    default: str
    help: object = ""
    kind: str = "text"  # text | int | textarea


@dataclass(frozen=True)
class Target:
    """Where the script will run: flavour, GPUs per node."""

    flavour: str
    gpus_per_node: int = 4


@dataclass(frozen=True)
class Recipe:
    slug: str
    title: object
    summary: object
    fields: tuple[Field, ...]
    body: Callable[[dict[str, str], int, Target], str]
    uses_torch: bool = True
    extra_imports: tuple[str, ...] = field(default_factory=tuple)


def _q(value: str) -> str:
    return shlex.quote(value)


def _header(recipe: Recipe, gpus: int, target: Target, values: dict[str, str]) -> str:
    lines = [
        "#!/bin/bash",
        f"# Antenna job template: {recipe.slug} ({target.flavour} variant), {gpus} GPU(s).",
        "# Generated from a job template by the Belgian AI Factory Antenna portal.",
        "set -euo pipefail",
        "",
    ]
    for f in recipe.fields:
        if f.kind == "textarea":
            continue
        lines.append(f"{f.name.upper()}={_q(values[f.name])}")
    nodes = max(1, math.ceil(gpus / max(1, target.gpus_per_node)))
    per_node = min(gpus, target.gpus_per_node)
    lines += [f"GPUS={gpus}", f"NNODES={nodes}", f"GPUS_PER_NODE={per_node}",
              f"CONTAINER={_q(CONTAINERS[target.flavour])}", ""]
    if target.flavour == CUDA:
        lines += [
            "# JUPITER booster: 4 NVIDIA GH200 per node, CUDA.",
            'export CUDA_VISIBLE_DEVICES='
            '"${CUDA_VISIBLE_DEVICES:-$(seq -s, 0 $((GPUS_PER_NODE - 1)))}"',
            "export NCCL_SOCKET_IFNAME=\"${NCCL_SOCKET_IFNAME:-ib0}\"",
            "CONTAINER_FLAGS=--nv",
        ]
    elif target.flavour == ROCM:
        lines += [
            "# LUMI-G: 4 AMD MI250X per node, seen as 8 GPUs (GCDs). ROCm, not CUDA.",
            'export ROCR_VISIBLE_DEVICES='
            '"${ROCR_VISIBLE_DEVICES:-$(seq -s, 0 $((GPUS_PER_NODE - 1)))}"',
            'export HIP_VISIBLE_DEVICES="${HIP_VISIBLE_DEVICES:-$ROCR_VISIBLE_DEVICES}"',
            "# MIOpen keeps a kernel cache per user: give it a writable place per job.",
            'export MIOPEN_USER_DB_PATH='
            '"${TMPDIR:-/tmp}/miopen-${USER:-$(id -un)}-${SLURM_JOB_ID:-$$}"',
            'export MIOPEN_CUSTOM_CACHE_DIR="$MIOPEN_USER_DB_PATH"',
            'mkdir -p "$MIOPEN_USER_DB_PATH"',
            "export NCCL_SOCKET_IFNAME=\"${NCCL_SOCKET_IFNAME:-hsn0,hsn1,hsn2,hsn3}\"",
            "CONTAINER_FLAGS=--rocm",
        ]
    else:
        lines += ["# The antenna sandbox: a small local machine, no container needed.",
                  "CONTAINER_FLAGS="]
    lines += [
        "",
        "# Run inside the container when Apptainer/Singularity is there, else directly.",
        "RUNTIME=$(command -v apptainer || command -v singularity || true)",
        'if [ -n "$CONTAINER" ] && [ -n "$RUNTIME" ]; then',
        '  LAUNCH=("$RUNTIME" exec $CONTAINER_FLAGS "docker://$CONTAINER")',
        "else",
        "  LAUNCH=()",
        "fi",
        "",
        "demo_exit() {",
        '  echo "Antenna demo mode: $1"',
        '  echo "This machine cannot run it for real, so the job only shows what it would run:"',
        '  echo "  $2"',
        '  [ -n "$CONTAINER" ] && echo "  (inside the container $CONTAINER)"',
        '  echo "Nothing failed: on a factory with the software installed, this command runs."',
        "  exit 0",
        "}",
        "",
        'echo "Job started on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ) with $GPUS GPU(s)."',
    ]
    return "\n".join(lines) + "\n"


def _check(imports: str, command: str) -> str:
    """Lines that fall back to demo mode when the Python modules are not importable."""
    return (
        'if [ "${ANTENNA_DRY_RUN:-0}" = "1" ]; then\n'
        f'  demo_exit "ANTENNA_DRY_RUN=1 is set." {_q(command)}\n'
        "fi\n"
        'if [ ${#LAUNCH[@]} -eq 0 ] && ! python3 -c '
        f'{_q("import " + imports)} >/dev/null 2>&1; then\n'
        f'  demo_exit "Python cannot import {imports} here (no container runtime either)." '
        f"{_q(command)}\n"
        "fi\n"
    )


def _launcher(gpus: int, target: Target, program: str) -> str:
    """python3 for one GPU, torchrun for several on one node, srun + torchrun across nodes."""
    if gpus <= 1:
        return f"python3 {program}"
    if gpus <= target.gpus_per_node:
        return f"torchrun --standalone --nproc_per_node={gpus} {program}"
    return ("srun --ntasks-per-node=1 torchrun --nnodes=$NNODES "
            "--nproc_per_node=$GPUS_PER_NODE --rdzv_backend=c10d "
            "--rdzv_endpoint=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1):29500 "
            f"{program}")


def _pytorch_body(values: dict[str, str], gpus: int, target: Target) -> str:
    command = _launcher(gpus, target, '"$TRAIN_SCRIPT" --data "$DATASET" --epochs "$EPOCHS"')
    return (
        'if [ ! -f "$TRAIN_SCRIPT" ] && [ "${ANTENNA_DRY_RUN:-0}" != "1" ] '
        '&& python3 -c "import torch" >/dev/null 2>&1; then\n'
        '  echo "Your training script $TRAIN_SCRIPT is not in the job directory: copy it to '
        'your project space and give its full path." >&2\n'
        "  exit 1\n"
        "fi\n"
        + _check("torch", command)
        + 'python3 -c "import torch; print(\'PyTorch\', torch.__version__, \'GPUs visible:\', '
        'torch.cuda.device_count())" || true\n'
        + f'${{LAUNCH[@]+"${{LAUNCH[@]}}"}} {command}\n'
        + 'echo "Training finished."\n'
    )


def _program(name: str) -> str:
    """The Python program `name` the job script writes next to itself (recipe_scripts/)."""
    return (resources.files("antenna.jobs") / "recipe_scripts" / name).read_text("utf-8")


def _hf_body(values: dict[str, str], gpus: int, target: Target) -> str:
    command = _launcher(gpus, target,
                        'finetune.py "$MODEL" "$DATASET" "$EPOCHS" "$OUTPUT_DIR"')
    return (
        "# Models and datasets come from your project space: compute nodes have no internet.\n"
        'export HF_HOME="${HF_HOME:-$PWD/hf-cache}"\n'
        "export HF_HUB_OFFLINE=\"${HF_HUB_OFFLINE:-1}\"\n"
        "cat > finetune.py <<'PYTHON'\n" + _program("finetune.py") + "PYTHON\n"
        + _check("torch, transformers, datasets", command)
        + f'${{LAUNCH[@]+"${{LAUNCH[@]}}"}} {command}\n'
        + 'echo "Fine-tuning finished: the model is in $OUTPUT_DIR."\n'
    )


def _inference_body(values: dict[str, str], gpus: int, target: Target) -> str:
    command = ('python3 infer.py "$MODEL" "$INPUT_FILE" "$OUTPUT_FILE" "$MAX_TOKENS" '
               '"$GPUS"')
    return (
        'export HF_HOME="${HF_HOME:-$PWD/hf-cache}"\n'
        "export HF_HUB_OFFLINE=\"${HF_HUB_OFFLINE:-1}\"\n"
        "cat > infer.py <<'PYTHON'\n" + _program("infer.py") + "PYTHON\n"
        + _check("torch, transformers", command)
        + 'if [ ! -f "$INPUT_FILE" ]; then\n'
        '  echo "The prompts file $INPUT_FILE is missing: one JSON object per line, with a '
        '\\"prompt\\" key." >&2\n'
        "  exit 1\n"
        "fi\n"
        + f'${{LAUNCH[@]+"${{LAUNCH[@]}}"}} {command}\n'
    )


def _shell_body(values: dict[str, str], gpus: int, target: Target) -> str:
    commands = values.get("commands", "").replace("\r\n", "\n").strip() or 'echo "hello"'
    return (
        "# What the machine offers:\n"
        "if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi -L || true\n"
        "elif command -v rocm-smi >/dev/null 2>&1; then rocm-smi --showproductname || true\n"
        'else echo "No GPU tool found here (demo or CPU machine): your commands still run."\n'
        "fi\n"
        "# Your commands:\n" + commands + "\n"
    )


_GPUS_HELP = _("How many GPUs; more than one runs the script with torchrun.")

RECIPES: dict[str, Recipe] = {r.slug: r for r in (
    Recipe(
        slug="pytorch-training", title=_("PyTorch training"),
        summary=_("Run your own PyTorch training script on one GPU, or on several with "
                  "torchrun (distributed data parallel)."),
        fields=(
            Field("train_script", _("Training script"), "train.py",
                  _("Path of your Python script in your project space.")),
            Field("dataset", _("Dataset path"), "data/",
                  _("Passed to your script as --data.")),
            Field("epochs", _("Epochs"), "3", _("Passed to your script as --epochs."), "int"),
        ),
        body=_pytorch_body,
    ),
    Recipe(
        slug="hf-finetune", title=_("Hugging Face fine-tuning"),
        summary=_("Fine-tune a causal language model from the Hugging Face Hub on your own "
                  "text, with the transformers Trainer."),
        fields=(
            Field("model", _("Model name"), "mistralai/Mistral-7B-v0.1",
                  _("A Hugging Face model id, downloaded beforehand into HF_HOME, or a path.")),
            Field("dataset", _("Dataset"), "data/train.jsonl",
                  _("A JSON Lines file with a \"text\" field, or a dataset name.")),
            Field("epochs", _("Epochs"), "1", kind="int"),
            Field("output_dir", _("Output directory"), "finetuned-model"),
        ),
        body=_hf_body,
    ),
    Recipe(
        slug="llm-batch-inference", title=_("Batch LLM inference"),
        summary=_("Answer a file of prompts with a language model (vLLM when installed, "
                  "else transformers) and write the answers to a file."),
        fields=(
            Field("model", _("Model name"), "meta-llama/Llama-3.1-8B-Instruct"),
            Field("input_file", _("Prompts file"), "prompts.jsonl",
                  _("One JSON object per line, with a \"prompt\" key.")),
            Field("output_file", _("Answers file"), "answers.jsonl"),
            Field("max_tokens", _("Maximum new tokens per answer"), "256", kind="int"),
        ),
        body=_inference_body,
    ),
    Recipe(
        slug="shell", title=_("Plain shell"),
        summary=_("Any commands, run as a bash script with the GPUs you ask for."),
        fields=(
            Field("commands", _("Commands"), 'echo "Hello from the AI Factory"\nhostname\n',
                  _("One command per line, as you would type them in a terminal."),
                  "textarea"),
        ),
        body=_shell_body, uses_torch=False,
    ),
)}


class RecipeValueError(ValueError):
    """A field value the template refuses (named, with what is wrong)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def clean_values(recipe: Recipe, raw: dict[str, str]) -> dict[str, str]:
    """The recipe's values: defaults for the missing ones, checked for what they may hold."""
    values = {}
    for f in recipe.fields:
        value = str(raw.get(f.name, f.default) or "").strip() or f.default
        if f.kind == "int":
            if not value.isdigit() or int(value) < 1:
                raise RecipeValueError(f.name, str(_("Give a whole number of at least 1.")))
        elif f.kind == "text" and not SAFE_VALUE.match(value):
            raise RecipeValueError(f.name, str(_(
                "Use letters, digits and . _ / : @ + = , - only (no spaces or quotes).")))
        values[f.name] = value if f.kind != "textarea" else str(raw.get(f.name, f.default))
    return values


def render_script(recipe: Recipe, values: dict[str, str], *, gpus: int, target: Target) -> str:
    """The bash script of `recipe` for `target`, starting with #!/bin/bash."""
    if gpus < 1:
        raise RecipeValueError("gpus", str(_("Ask for at least one GPU.")))
    cleaned = clean_values(recipe, values)
    return _header(recipe, gpus, target, cleaned) + "\n" + recipe.body(cleaned, gpus, target)


def container_for(recipe: Recipe, target: Target) -> str:
    return CONTAINERS[target.flavour] if recipe.uses_torch else ""
